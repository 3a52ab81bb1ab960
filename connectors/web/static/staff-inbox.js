/* Staff inbox: the list and an open conversation refresh themselves every few seconds.
   The pages work without this script (reload them by hand). */
(function () {
  "use strict";

  var LIST_MS = 4000;
  var CONVERSATION_MS = 1500;

  function get(url) {
    return window.fetch(url, {
      credentials: "same-origin",
      redirect: "manual",
      cache: "no-store",
      headers: { Accept: url.indexOf("/messages") >= 0 ? "application/json" : "text/html" },
    });
  }

  function refreshList(root) {
    var url = root.getAttribute("data-refresh");
    function tick() {
      get(url)
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html === null) return;
          var parsed = new DOMParser().parseFromString(html, "text/html");
          root.replaceChildren.apply(root, Array.prototype.slice.call(parsed.body.childNodes));
        })
        .catch(function () {})
        .then(function () {
          window.setTimeout(tick, LIST_MS);
        });
    }
    window.setTimeout(tick, LIST_MS);
  }

  function message(m) {
    var li = document.createElement("li");
    li.className = "msg msg-" + m.author;
    li.setAttribute("data-id", String(m.id));
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = m.who;
    var when = document.createElement("span");
    when.className = "when";
    when.textContent = m.at;
    var p = document.createElement("p");
    p.textContent = m.text;
    li.appendChild(who);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(when);
    li.appendChild(p);
    return li;
  }

  function followConversation(list) {
    var url = list.getAttribute("data-url");
    var state = document.getElementById("conversation-state");
    var shown = state ? state.getAttribute("data-state") : "";
    function tick() {
      var after = list.getAttribute("data-after") || "0";
      get(url + "?after=" + encodeURIComponent(after))
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (json) {
          if (!json) return;
          (json.messages || []).forEach(function (m) {
            if (list.querySelector('[data-id="' + m.id + '"]')) return;
            list.appendChild(message(m));
            list.setAttribute("data-after", String(m.id));
          });
          list.scrollTop = list.scrollHeight;
          var typing = document.activeElement && document.activeElement.tagName === "TEXTAREA";
          if (json.state !== shown && !typing) window.location.reload();
        })
        .catch(function () {})
        .then(function () {
          window.setTimeout(tick, CONVERSATION_MS);
        });
    }
    list.scrollTop = list.scrollHeight;
    window.setTimeout(tick, CONVERSATION_MS);
  }

  var root = document.getElementById("inbox-list");
  if (root) refreshList(root);
  var transcript = document.getElementById("transcript");
  if (transcript) followConversation(transcript);
})();
