/* The analytics dashboard (/staff/analytics): draws its charts with Chart.js from the figures
   in the page's JSON block. The tables under the charts hold the same figures; the page works
   without this script. */
(function () {
  "use strict";

  var source = document.getElementById("analytics-data");
  var Chart = window.Chart;
  if (!source || !Chart) {
    return;
  }
  var data = JSON.parse(source.textContent);
  // Okabe–Ito colours: told apart with every common colour-vision deficiency
  var CHANNEL_COLOURS = {
    web: "#0072B2",
    telegram: "#E69F00",
    zalo: "#009E73",
    messenger: "#CC79A7",
    other: "#6B6B6B"
  };
  var ACCENT = "#0B4F8A";
  var TARGET = "#A40000";
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 14;
  Chart.defaults.color = "#1A1A1A";
  Chart.defaults.locale = "vi-VN";
  Chart.defaults.maintainAspectRatio = false;
  if (still) {
    Chart.defaults.animation = false;
  }

  function draw(name, config) {
    var canvas = document.querySelector('canvas[data-chart="' + name + '"]');
    if (canvas) {
      canvas.chart = new Chart(canvas, config);
    }
  }

  draw("daily", {
    type: "bar",
    data: {
      labels: data.daily.labels,
      datasets: data.daily.series.map(function (series) {
        return {
          label: series.name,
          data: series.values,
          backgroundColor: CHANNEL_COLOURS[series.key] || CHANNEL_COLOURS.other
        };
      })
    },
    options: {
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }
      }
    }
  });

  draw("procedures", {
    type: "bar",
    data: {
      labels: data.procedures.labels,
      datasets: [{ label: "Lượt hỏi", data: data.procedures.values, backgroundColor: ACCENT }]
    },
    options: {
      indexAxis: "y",
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  });

  draw("satisfaction", {
    type: "line",
    data: {
      labels: data.satisfaction.labels,
      datasets: [
        {
          label: "Tỷ lệ hài lòng (%)",
          data: data.satisfaction.values,
          borderColor: ACCENT,
          backgroundColor: ACCENT,
          spanGaps: true
        },
        {
          label: "Mục tiêu (" + data.satisfaction.target + " %)",
          data: data.satisfaction.labels.map(function () {
            return data.satisfaction.target;
          }),
          borderColor: TARGET,
          backgroundColor: TARGET,
          borderDash: [6, 4],
          pointRadius: 0
        }
      ]
    },
    options: {
      scales: {
        y: {
          min: 0,
          max: 100,
          ticks: {
            callback: function (value) {
              return value + " %";
            }
          }
        }
      }
    }
  });
})();
