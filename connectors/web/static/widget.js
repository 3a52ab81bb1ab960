/*
 * Citizen helpdesk web widget. Embed with one tag:
 *
 *   <script src="https://<gateway>/widget.js" data-lang="vi" data-title="..."></script>
 *
 * Attributes (all optional):
 *   data-server      the gateway's address; default: where this script came from
 *   data-lang        "vi" (default) or "en"
 *   data-title       the panel's title
 *   data-link-hosts  comma-separated hosts whose URLs become links ("*.gov.vn" matches
 *                    subdomains); default "dichvucong.gov.vn,*.gov.vn". The gateway's own
 *                    host is always allowed.
 *
 * Security: everything the bot sends is rendered as text (textContent / createTextNode);
 * innerHTML is never used. A URL becomes a link only when it is http(s) and its host is
 * allowed; anything else stays plain text.
 *
 * Vanilla JavaScript, no dependencies, no build step.
 */
(function () {
  "use strict";

  var STORAGE_VERSION = "v1";
  var HISTORY_LIMIT = 60;
  // A conversation left alone this long starts afresh: on a shared computer at the service
  // center, the next citizen should not find the last one's questions.
  var HISTORY_TTL_MS = 12 * 60 * 60 * 1000;
  // While the staff have the conversation, their messages arrive on a server-sent event
  // stream; after a drop it is opened again, resuming after the last message seen.
  var STREAM_RETRY_MS = [1000, 2000, 5000, 10000, 30000];
  var DEFAULT_LINK_HOSTS = ["dichvucong.gov.vn", "*.gov.vn"];
  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
  var TRAILING_PUNCTUATION = /[.,;:!?)\]}»”’]+$/;

  var STRINGS = {
    vi: {
      launcher: "Hỏi đáp thủ tục",
      launcherLabel: "Mở trợ lý hỏi đáp thủ tục hành chính",
      title: "Trợ lý hành chính công",
      subtitle: "Trợ lý ảo · trả lời tự động",
      close: "Đóng trợ lý",
      switchLanguage: "Switch to English",
      switchLanguageShort: "EN",
      largeText: "Chữ lớn",
      log: "Cuộc trò chuyện",
      inputLabel: "Nhập câu hỏi",
      placeholder: "Nhập câu hỏi của bạn…",
      send: "Gửi",
      typing: "Trợ lý đang trả lời…",
      you: "Bạn",
      bot: "Trợ lý",
      staff: "Cán bộ",
      choices: "Các lựa chọn",
      quick: "Gợi ý nhanh",
      helpful: "Câu trả lời này có hữu ích không?",
      up: "Hữu ích",
      down: "Chưa hữu ích",
      thanks: "Đã ghi nhận đánh giá",
      welcome:
        "Xin chào! Tôi là trợ lý ảo của Trung tâm Phục vụ hành chính công. Tôi có thể " +
        "trả lời về hồ sơ, lệ phí, thời gian giải quyết thủ tục và tra cứu tình trạng hồ sơ. " +
        "Bạn cần hỏi gì?",
      privacy:
        "Không gửi số CCCD hay số điện thoại đầy đủ. Khi tra cứu hồ sơ, trợ lý chỉ hỏi 4 số cuối.",
      quickStatus: "Tra cứu hồ sơ",
      quickBirth: "Hồ sơ khai sinh",
      quickStaff: "Gặp cán bộ",
      quickBirthText: "Làm giấy khai sinh cần gì?",
      offline:
        "Không kết nối được với máy chủ. Vui lòng kiểm tra mạng và thử lại, hoặc gọi tổng đài {hotline}.",
      unavailable:
        "Xin lỗi, trợ lý ảo đang tạm thời gián đoạn. Vui lòng thử lại sau ít phút hoặc gọi tổng đài {hotline}.",
      tooFast: "Bạn gửi tin nhắn hơi nhanh. Vui lòng đợi {seconds} giây rồi gửi lại.",
      tooLong: "Tin nhắn quá dài. Vui lòng viết ngắn hơn {limit} ký tự.",
      invalid: "Không gửi được tin nhắn này. Vui lòng thử lại.",
      image: "Hình ảnh từ trợ lý",
      newChat: "Cuộc trò chuyện mới",
    },
    en: {
      launcher: "Ask about procedures",
      launcherLabel: "Open the public-service help assistant",
      title: "Public service assistant",
      subtitle: "Virtual assistant · automatic answers",
      close: "Close the assistant",
      switchLanguage: "Chuyển sang tiếng Việt",
      switchLanguageShort: "VI",
      largeText: "Large text",
      log: "Conversation",
      inputLabel: "Type your question",
      placeholder: "Type your question…",
      send: "Send",
      typing: "The assistant is answering…",
      you: "You",
      bot: "Assistant",
      staff: "Staff",
      choices: "Choices",
      quick: "Suggestions",
      helpful: "Was this answer helpful?",
      up: "Helpful",
      down: "Not helpful",
      thanks: "Rating recorded",
      welcome:
        "Hello! I am the virtual assistant of the public administration service center. I can " +
        "answer questions about documents, fees and processing times, and check the status of " +
        "an application. How can I help?",
      privacy:
        "Do not send full ID card or phone numbers. To check an application, the assistant only asks for the last 4 digits.",
      quickStatus: "Check an application",
      quickBirth: "Birth registration",
      quickStaff: "Talk to staff",
      quickBirthText: "What documents do I need to register a birth?",
      offline:
        "Cannot reach the server. Please check your connection and try again, or call the hotline {hotline}.",
      unavailable:
        "Sorry, the assistant is temporarily unavailable. Please try again in a few minutes or call the hotline {hotline}.",
      tooFast: "You are sending messages a little fast. Please wait {seconds} s and try again.",
      tooLong: "Your message is too long. Please keep it under {limit} characters.",
      invalid: "This message could not be sent. Please try again.",
      image: "Image from the assistant",
      newChat: "New conversation",
    },
  };

  // Icons as inline SVG paths (Material Icons, Apache-2.0): emoji fonts are missing on many
  // older phones and office computers.
  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat:
      "M20 2H4c-1.1 0-1.99.9-1.99 2L2 22l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2zM6 9h12v2H6V9zm8 5H6v-2h8v2zm4-6H6V6h12v2z",
    up:
      "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    down:
      "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z",
  };

  var QUICK_REPLIES = [
    { key: "quickStatus", payload: "/check_record_status" },
    { key: "quickBirth", textKey: "quickBirthText" },
    { key: "quickStaff", payload: "/human_handoff" },
  ];

  // ---------------------------------------------------------------- configuration

  var script =
    document.currentScript || document.querySelector('script[src*="widget.js"]');
  var data = (script && script.dataset) || {};
  var scriptUrl = new URL((script && script.src) || window.location.href, window.location.href);
  var apiBase = (data.server || scriptUrl.href.replace(/\/widget\.js(?:[?#].*)?$/, "")).replace(
    /\/+$/,
    ""
  );
  var apiHost = new URL(apiBase, window.location.href).hostname.toLowerCase();
  var linkHosts = (data.linkHosts ? data.linkHosts.split(",") : DEFAULT_LINK_HOSTS)
    .map(function (host) {
      return host.trim().toLowerCase();
    })
    .filter(Boolean)
    .concat([apiHost]);
  var config = { hotline: "1800 1096", max_message_chars: 1000 };

  // ---------------------------------------------------------------- state

  var storageKey = "helpdesk-widget:" + STORAGE_VERSION + ":" + apiBase;
  var state = loadState();

  function newConversationId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i += 1) hex += ("0" + bytes[i].toString(16)).slice(-2);
    return "web-" + hex;
  }

  function loadState() {
    var initial = {
      id: newConversationId(),
      lang: data.lang === "en" ? "en" : "vi",
      large: false,
      open: false,
      history: [],
      listening: false,
      lastEvent: 0,
    };
    try {
      var saved = JSON.parse(window.localStorage.getItem(storageKey) || "null");
      if (saved && /^[A-Za-z0-9_-]{8,64}$/.test(saved.id) && Array.isArray(saved.history)) {
        initial.lang = saved.lang === "en" ? "en" : "vi";
        initial.large = saved.large === true;
        if (Date.now() - Number(saved.updated || 0) < HISTORY_TTL_MS) {
          initial.id = saved.id;
          initial.open = saved.open === true;
          initial.history = saved.history.filter(isValidEntry).slice(-HISTORY_LIMIT);
          initial.listening = saved.listening === true;
          initial.lastEvent = Math.max(0, Number(saved.lastEvent) || 0);
        }
      }
    } catch (error) {
      // Storage may be disabled (private mode); the conversation then lasts one page view.
    }
    return initial;
  }

  function isValidEntry(entry) {
    return entry && (entry.from === "user" || entry.from === "bot");
  }

  function saveState() {
    state.history = state.history.slice(-HISTORY_LIMIT);
    state.updated = Date.now();
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(state));
    } catch (error) {
      // Full or disabled storage: keep going without persistence.
    }
  }

  function t(key, params) {
    var text = (STRINGS[state.lang] && STRINGS[state.lang][key]) || STRINGS.vi[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(params[name]));
    });
    return text;
  }

  // ---------------------------------------------------------------- DOM helpers

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function icon(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "hdw-icon");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function hostAllowed(hostname) {
    var host = hostname.toLowerCase();
    return linkHosts.some(function (pattern) {
      if (pattern.indexOf("*.") === 0) {
        var suffix = pattern.slice(1); // ".gov.vn"
        return host.length > suffix.length && host.slice(-suffix.length) === suffix;
      }
      return host === pattern;
    });
  }

  /** A safe http(s) URL on an allowed host, or null. */
  function safeUrl(raw) {
    var url;
    try {
      url = new URL(String(raw));
    } catch (error) {
      return null;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    if (url.username || url.password) return null;
    return hostAllowed(url.hostname) ? url : null;
  }

  function makeLink(url, label) {
    var link = el("a", "hdw-link", label);
    link.href = url.href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }

  /** Append ``text`` to ``parent`` as text nodes, line breaks, and allowed links. */
  function appendText(parent, text) {
    String(text)
      .split("\n")
      .forEach(function (line, index) {
        if (index > 0) parent.appendChild(document.createElement("br"));
        var last = 0;
        line.replace(URL_PATTERN, function (match, offset) {
          var candidate = match.replace(TRAILING_PUNCTUATION, "");
          var url = safeUrl(candidate);
          if (!url) return match;
          parent.appendChild(document.createTextNode(line.slice(last, offset)));
          parent.appendChild(makeLink(url, candidate));
          last = offset + candidate.length;
          return match;
        });
        parent.appendChild(document.createTextNode(line.slice(last)));
      });
  }

  // ---------------------------------------------------------------- building the widget

  var host = el("div");
  host.id = "helpdesk-widget";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var stylesheet = el("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = apiBase + "/widget.css";
  root.appendChild(stylesheet);

  var container = el("div", "hdw");
  root.appendChild(container);

  var launcher = el("button", "hdw-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-haspopup", "dialog");
  launcher.setAttribute("aria-controls", "hdw-panel");
  var launcherIcon = icon("chat");
  var launcherText = el("span", "hdw-launcher-text");
  launcher.appendChild(launcherIcon);
  launcher.appendChild(launcherText);

  var panel = el("section", "hdw-panel");
  panel.id = "hdw-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", "hdw-title");
  panel.hidden = true;

  var header = el("header", "hdw-header");
  var heading = el("div", "hdw-heading");
  var title = el("h2", "hdw-title");
  title.id = "hdw-title";
  var subtitle = el("p", "hdw-subtitle");
  heading.appendChild(title);
  heading.appendChild(subtitle);
  var tools = el("div", "hdw-tools");
  var langButton = toolButton("hdw-lang");
  var largeButton = toolButton("hdw-large", "A+");
  var resetButton = toolButton("hdw-reset", "↺");
  var closeButton = toolButton("hdw-close", "×");
  tools.appendChild(langButton);
  tools.appendChild(largeButton);
  tools.appendChild(resetButton);
  tools.appendChild(closeButton);
  header.appendChild(heading);
  header.appendChild(tools);

  var log = el("div", "hdw-log");
  log.setAttribute("role", "log");
  // New bot messages are announced once, through the live region below.
  log.setAttribute("aria-live", "off");
  log.tabIndex = 0;

  var typing = el("div", "hdw-msg hdw-from-bot hdw-typing");
  typing.hidden = true;
  var typingBubble = el("div", "hdw-bubble");
  for (var dot = 0; dot < 3; dot += 1) {
    var dotNode = el("span", "hdw-dot");
    dotNode.setAttribute("aria-hidden", "true");
    typingBubble.appendChild(dotNode);
  }
  var typingLabel = el("span", "hdw-sr");
  typingBubble.appendChild(typingLabel);
  typing.appendChild(typingBubble);

  var quick = el("div", "hdw-quick");
  quick.setAttribute("role", "group");

  var form = el("form", "hdw-form");
  form.noValidate = true;
  var inputLabel = el("label", "hdw-sr");
  inputLabel.htmlFor = "hdw-input";
  var input = el("textarea", "hdw-input");
  input.id = "hdw-input";
  input.rows = 2;
  input.maxLength = config.max_message_chars;
  var sendButton = el("button", "hdw-send");
  sendButton.type = "submit";
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(sendButton);

  var privacy = el("p", "hdw-privacy");

  var live = el("div", "hdw-sr");
  live.setAttribute("aria-live", "polite");
  live.setAttribute("aria-atomic", "true");

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(quick);
  panel.appendChild(form);
  panel.appendChild(privacy);
  container.appendChild(panel);
  container.appendChild(launcher);
  container.appendChild(live);

  function toolButton(className, text) {
    var button = el("button", "hdw-tool " + className, text);
    button.type = "button";
    return button;
  }

  // ---------------------------------------------------------------- rendering

  function applyStrings() {
    container.lang = state.lang;
    launcherText.textContent = t("launcher");
    launcher.setAttribute("aria-label", t("launcherLabel"));
    title.textContent = data.title || t("title");
    subtitle.textContent = t("subtitle");
    langButton.textContent = t("switchLanguageShort");
    langButton.setAttribute("aria-label", t("switchLanguage"));
    langButton.lang = state.lang === "vi" ? "en" : "vi";
    largeButton.setAttribute("aria-label", t("largeText"));
    largeButton.setAttribute("aria-pressed", state.large ? "true" : "false");
    resetButton.setAttribute("aria-label", t("newChat"));
    resetButton.title = t("newChat");
    closeButton.setAttribute("aria-label", t("close"));
    log.setAttribute("aria-label", t("log"));
    typingLabel.textContent = t("typing");
    quick.setAttribute("aria-label", t("quick"));
    inputLabel.textContent = t("inputLabel");
    input.placeholder = t("placeholder");
    sendButton.textContent = t("send");
    privacy.textContent = t("privacy");
    quick.textContent = "";
    QUICK_REPLIES.forEach(function (reply) {
      var chip = el("button", "hdw-chip", t(reply.key));
      chip.type = "button";
      chip.addEventListener("click", function () {
        if (reply.payload) send({ payload: reply.payload, shown: t(reply.key) });
        else send({ text: t(reply.textKey) });
        input.focus();
      });
      quick.appendChild(chip);
    });
    container.classList.toggle("hdw-is-large", state.large);
  }

  function renderAll() {
    log.textContent = "";
    renderEntry({ from: "bot", local: "welcome" }, -1);
    state.history.forEach(renderEntry);
    log.appendChild(typing);
    scrollToEnd();
  }

  function entryText(entry) {
    if (entry.local) return t(entry.local, entry.params);
    return entry.text || "";
  }

  function renderEntry(entry, index) {
    var row = el("div", "hdw-msg hdw-from-" + entry.from);
    if (entry.local && entry.local !== "welcome") row.classList.add("hdw-notice");
    if (entry.staff) row.classList.add("hdw-from-staff");
    var speaker = entry.from === "user" ? t("you") : entry.staff ? t("staff") : t("bot");
    var who = el("span", entry.staff ? "hdw-who" : "hdw-sr", speaker + ": ");
    var bubble = el("div", "hdw-bubble");
    bubble.appendChild(who);
    var text = entryText(entry);
    if (text) appendText(bubble, text);
    (entry.links || []).forEach(function (link) {
      var line = el("span", "hdw-attachment");
      var url = safeUrl(link.url);
      if (url) line.appendChild(makeLink(url, link.title || url.href));
      else line.textContent = (link.title ? link.title + ": " : "") + String(link.url);
      bubble.appendChild(line);
    });
    if (entry.image) {
      var imageUrl = safeUrl(entry.image);
      if (imageUrl) {
        var image = el("img", "hdw-image");
        image.alt = t("image");
        image.src = imageUrl.href;
        bubble.appendChild(image);
      }
    }
    row.appendChild(bubble);
    if (entry.buttons && entry.buttons.length) row.appendChild(renderButtons(entry));
    if (entry.rateable) row.appendChild(renderFeedback(entry));
    log.insertBefore(row, typing.parentNode === log ? typing : null);
    return row;
  }

  function renderButtons(entry) {
    var group = el("div", "hdw-choices");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("choices"));
    entry.buttons.forEach(function (button) {
      var choice = el("button", "hdw-choice", button.title);
      choice.type = "button";
      choice.addEventListener("click", function () {
        send({ payload: String(button.payload), shown: String(button.title) });
        input.focus(); // the pressed button is gone; keep the keyboard in the conversation
      });
      group.appendChild(choice);
    });
    return group;
  }

  function renderFeedback(entry) {
    var group = el("div", "hdw-feedback");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("helpful"));
    ["up", "down"].forEach(function (rating) {
      var button = el("button", "hdw-rate hdw-rate-" + rating);
      button.appendChild(icon(rating));
      button.type = "button";
      button.setAttribute("aria-label", t(rating));
      button.setAttribute("aria-pressed", entry.rating === rating ? "true" : "false");
      button.disabled = Boolean(entry.rating);
      button.addEventListener("click", function () {
        entry.rating = rating;
        saveState();
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (other) {
          other.disabled = true;
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        });
        send({ payload: '/feedback{"rating":"' + rating + '"}', silent: true, rateable: false });
      });
      group.appendChild(button);
    });
    return group;
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function announce(text) {
    live.textContent = "";
    window.setTimeout(function () {
      live.textContent = text;
    }, 50);
  }

  function clearChoices() {
    state.history.forEach(function (entry) {
      entry.buttons = [];
    });
    Array.prototype.forEach.call(log.querySelectorAll(".hdw-choices"), function (group) {
      group.parentNode.removeChild(group);
    });
  }

  function addEntry(entry) {
    state.history.push(entry);
    saveState();
    renderEntry(entry, state.history.length - 1);
    scrollToEnd();
  }

  // ---------------------------------------------------------------- talking to the gateway

  var queue = Promise.resolve();

  /**
   * Send a text or a payload; messages go one after another, in order.
   * options: {text} or {payload, shown?, silent?, rateable?}
   */
  function send(options) {
    var message = options.text !== undefined ? String(options.text).trim() : null;
    if (message === "") return queue;
    clearChoices();
    if (!options.silent) addEntry({ from: "user", text: message !== null ? message : options.shown });
    queue = queue.then(function () {
      return relay(options, message);
    });
    return queue;
  }

  function relay(options, message) {
    typing.hidden = false;
    log.appendChild(typing);
    scrollToEnd();
    var body = { conversation_id: state.id };
    if (message !== null) body.text = message;
    else body.payload = options.payload;
    return fetch(apiBase + "/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (json) {
            return { status: response.status, json: json, response: response };
          });
      })
      .then(function (result) {
        if (result.status === 200) {
          showAnswers(result.json.messages || [], options);
          followStaff(result.json.handoff);
        } else showProblem(result);
      })
      .catch(function () {
        notice("offline", { hotline: config.hotline });
      })
      .then(function () {
        typing.hidden = true;
      });
  }

  function showAnswers(messages, options) {
    var rateable = options.rateable !== false;
    var spoken = [];
    var added = [];
    messages.forEach(function (message) {
      var entry = {
        from: "bot",
        text: typeof message.text === "string" ? message.text : "",
        buttons: (message.buttons || [])
          .filter(function (b) {
            return b && typeof b.title === "string" && typeof b.payload === "string";
          })
          .map(function (b) {
            return { title: b.title, payload: b.payload };
          }),
        links: (message.links || [])
          .filter(function (l) {
            return l && typeof l.url === "string";
          })
          .map(function (l) {
            return { title: typeof l.title === "string" ? l.title : "", url: l.url };
          }),
        image: typeof message.image === "string" ? message.image : null,
      };
      if (entry.text) spoken.push(entry.text);
      added.push(entry);
    });
    // 👍/👎 go under the last message of an answer, not under every part of it.
    var last = added[added.length - 1];
    if (last && rateable && last.text) last.rateable = true;
    added.forEach(addEntry);
    if (spoken.length) announce(t("bot") + ": " + spoken.join(" "));
  }

  // ---------------------------------------------------------------- the staff's messages

  var stream = null;
  var streamFailures = 0;
  var streamTimer = 0;

  function listen() {
    state.listening = true;
    saveState();
    if (stream || streamTimer || typeof window.EventSource !== "function") return;
    var url =
      apiBase +
      "/api/chat/stream?conversation_id=" +
      encodeURIComponent(state.id) +
      "&after=" +
      encodeURIComponent(String(state.lastEvent || 0));
    var source = new window.EventSource(url);
    stream = source;
    source.addEventListener("open", function () {
      streamFailures = 0;
    });
    source.addEventListener("message", function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      var id = Number(message.id) || 0;
      if (id <= state.lastEvent || typeof message.text !== "string") return;
      state.lastEvent = id;
      var entry = { from: "bot", text: message.text };
      if (message.author === "staff") entry.staff = true;
      addEntry(entry);
      announce((entry.staff ? t("staff") : t("bot")) + ": " + message.text);
    });
    source.addEventListener("end", function () {
      stopListening();
    });
    source.addEventListener("error", function () {
      // The browser would reconnect with Last-Event-ID; reconnect ourselves, with ?after=,
      // which also crosses origins without a preflight.
      source.close();
      if (stream !== source) return;
      stream = null;
      if (!state.listening) return;
      var wait = STREAM_RETRY_MS[Math.min(streamFailures, STREAM_RETRY_MS.length - 1)];
      streamFailures += 1;
      streamTimer = window.setTimeout(function () {
        streamTimer = 0;
        if (state.listening) listen();
      }, wait);
    });
  }

  // In line or with an officer: listen now. A question left outside office hours: listen when
  // the page is next opened (the answer comes in office hours), not all night.
  function followStaff(handoff) {
    if (handoff === "waiting" || handoff === "claimed") listen();
    else if (handoff === "pending" && !stream) {
      state.listening = true;
      saveState();
    }
  }

  function stopListening() {
    state.listening = false;
    saveState();
    if (stream) stream.close();
    stream = null;
    window.clearTimeout(streamTimer);
    streamTimer = 0;
  }

  function showProblem(result) {
    var json = result.json || {};
    if (result.status === 429) {
      var seconds = json.retry_after || Number(result.response.headers.get("Retry-After")) || 60;
      notice("tooFast", { seconds: seconds });
    } else if (result.status === 413 || json.error === "MessageTooLong") {
      notice("tooLong", { limit: json.limit || config.max_message_chars });
    } else if (result.status === 503) {
      notice("unavailable", { hotline: json.hotline || config.hotline });
    } else {
      notice("invalid");
    }
  }

  function notice(key, params) {
    var entry = { from: "bot", local: key, params: params || {} };
    addEntry(entry);
    announce(t("bot") + ": " + entryText(entry));
  }

  function loadConfig() {
    fetch(apiBase + "/api/widget/config", { credentials: "omit" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (json) {
        if (!json) return;
        if (typeof json.hotline === "string") config.hotline = json.hotline;
        if (typeof json.max_message_chars === "number") {
          config.max_message_chars = json.max_message_chars;
          input.maxLength = json.max_message_chars;
        }
      })
      .catch(function () {
        // The defaults serve until the server answers.
      });
  }

  // ---------------------------------------------------------------- opening, closing, keys

  var smallScreen = window.matchMedia ? window.matchMedia("(max-width: 600px)") : null;

  function setOpen(open, focusAfter) {
    state.open = open;
    saveState();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    container.classList.toggle("hdw-is-open", open);
    if (open) {
      scrollToEnd();
      if (focusAfter !== false) input.focus();
    } else if (focusAfter !== false) {
      launcher.focus();
    }
  }

  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("button, a[href], textarea, [tabindex='0']"),
      function (node) {
        return !node.disabled && !node.hidden && node.offsetParent !== null;
      }
    );
  }

  launcher.addEventListener("click", function () {
    setOpen(panel.hidden);
  });
  closeButton.addEventListener("click", function () {
    setOpen(false);
  });
  langButton.addEventListener("click", function () {
    state.lang = state.lang === "vi" ? "en" : "vi";
    saveState();
    applyStrings();
    renderAll();
    send({ payload: '/change_language{"language":"' + state.lang + '"}', silent: true, rateable: false });
    langButton.focus();
  });
  resetButton.addEventListener("click", function () {
    // On a shared computer at the service center, the next citizen starts clean.
    stopListening();
    state.id = newConversationId();
    state.history = [];
    state.lastEvent = 0;
    saveState();
    renderAll();
    input.focus();
  });
  largeButton.addEventListener("click", function () {
    state.large = !state.large;
    saveState();
    applyStrings();
    scrollToEnd();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    send({ text: text });
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    // Vietnamese input methods compose characters with Enter-free keystrokes; never send mid-composition.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      setOpen(false);
      return;
    }
    // Full-screen on a phone, the panel is the whole page: keep Tab inside it.
    if (event.key === "Tab" && smallScreen && smallScreen.matches) {
      var nodes = focusables();
      if (!nodes.length) return;
      var active = root.activeElement || document.activeElement;
      var first = nodes[0];
      var last = nodes[nodes.length - 1];
      if (event.shiftKey && active === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && active === last) {
        event.preventDefault();
        first.focus();
      }
    }
  });

  // ---------------------------------------------------------------- start

  function mount() {
    document.body.appendChild(host);
    applyStrings();
    renderAll();
    setOpen(state.open, false);
    loadConfig();
    if (state.listening) listen();
  }

  window.HelpdeskWidget = {
    open: function () {
      setOpen(true);
    },
    close: function () {
      setOpen(false);
    },
    conversationId: function () {
      return state.id;
    },
  };

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
