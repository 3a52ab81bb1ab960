/* Staff pages: search as you type on the procedure lookup, and the print button.
   Every page works without this script; it only makes them quicker to use. */
(function () {
  "use strict";

  var DELAY_MS = 150;
  var SIGNED_OUT = "Phiên đăng nhập đã hết. Tải lại trang để đăng nhập lại.";
  var FAILED = "Chưa tra cứu được. Vui lòng thử lại.";

  function lookup(root) {
    var form = root.querySelector("form");
    var input = form.querySelector("input[name=q]");
    var results = root.querySelector("[data-url]");
    var live = root.querySelector("[role=status]");
    var url = results.getAttribute("data-url");
    var timer = 0;
    var pending = null;

    function links() {
      return Array.prototype.slice.call(results.querySelectorAll("a.result"));
    }

    function announce() {
      var status = results.querySelector("[data-status]");
      live.textContent = status ? status.textContent.trim() : "";
    }

    function fail(message) {
      var p = document.createElement("p");
      p.className = "error";
      p.setAttribute("data-status", "");
      p.textContent = message;
      results.replaceChildren(p);
      announce();
    }

    function stop() {
      window.clearTimeout(timer);
      if (pending) {
        pending.abort();
        pending = null;
      }
    }

    function search() {
      stop();
      var q = input.value;
      var request = new AbortController();
      pending = request;
      window.fetch(url + "?q=" + encodeURIComponent(q), {
        signal: request.signal,
        credentials: "same-origin",
        redirect: "manual",
        cache: "no-store"
      }).then(function (response) {
        if (response.ok || response.status === 422) {
          return response.text();
        }
        throw new Error(response.status === 401 || response.type === "opaqueredirect"
          ? SIGNED_OUT : FAILED);
      }).then(function (html) {
        if (pending !== request) {
          return; // a newer query is on its way
        }
        pending = null;
        results.innerHTML = html; // the gateway's own escaped fragment
        announce();
        var here = q ? "?q=" + encodeURIComponent(q) : window.location.pathname;
        window.history.replaceState(null, "", here); // Back returns to these results
      }).catch(function (error) {
        if (error.name === "AbortError" || pending !== request) {
          return;
        }
        pending = null;
        fail(error.message === SIGNED_OUT ? SIGNED_OUT : FAILED);
      });
    }

    if (!document.activeElement || document.activeElement === document.body) {
      // the box's autofocus can come after the first keys of someone typing at once
      input.focus();
    }

    input.addEventListener("input", function () {
      stop();
      timer = window.setTimeout(search, DELAY_MS);
    });

    root.addEventListener("keydown", function (event) {
      var list = links();
      var at = list.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && list.length) {
        event.preventDefault();
        list[Math.min(at + 1, list.length - 1)].focus();
      } else if (event.key === "ArrowUp" && at >= 0) {
        event.preventDefault();
        if (at === 0) {
          input.focus();
        } else {
          list[at - 1].focus();
        }
      } else if (event.key === "Escape") {
        event.preventDefault();
        input.value = "";
        input.focus();
        search();
      } else if (at >= 0 && event.key.length === 1 && !event.ctrlKey && !event.metaKey &&
                 !event.altKey) {
        input.focus(); // typing on a result goes on in the search box
      }
    });
  }

  function printButton(button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  }

  document.querySelectorAll("[data-lookup]").forEach(lookup);
  document.querySelectorAll("[data-print]").forEach(printButton);
})();
