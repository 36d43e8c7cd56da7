/*
 * privacy-assistant chat widget. Embed with one tag, ASSISTANT being the assistant's own address
 * (the site's origin must be in PA_WIDGET_ORIGINS, see the README):
 *
 *   <script src=ASSISTANT/static/widget.js data-company="upward" defer></script>
 *
 * data-company is optional: without it the assistant asks which company is meant.
 * The widget speaks English or Japanese: data-lang="en|ja" if set, else the page's <html lang>, else the
 * browser's languages (the first of them it supports; English otherwise).
 * The API base URL is derived from this script's own src. Everything renders inside a
 * Shadow DOM, so the host page's CSS does not leak in (and ours does not leak out).
 * Server text is only ever inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  if (window.__privacyAssistantWidget) return;
  window.__privacyAssistantWidget = true;

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1];
  })();
  if (!script) return;

  var SRC = new URL(script.getAttribute("src"), document.baseURI);
  // .../static/widget.js -> ... (keeps a path prefix if the app is mounted under one)
  var API = (script.dataset.api || new URL("../", SRC).href).replace(/\/+$/, "");
  var FIXED_COMPANY = (script.dataset.company || "").trim() || null;
  var PAGE_ORIGIN = window.location.origin;
  var API_ORIGIN = new URL(API).origin;
  var STORE_KEY = "privacy-assistant:" + API + ":" + (FIXED_COMPANY || "*");
  // The server's message limit (PA_MAX_MESSAGE_CHARS) comes from GET /v1/meta at start; until then,
  // or if that fails, the default limit. The server decides either way (a 422 names its limit).
  var MAX_CHARS = 2000;
  var MAX_ENTRIES = 100;
  var TIMEOUT_MS = 60000;

  // ---------------------------------------------------------------- language
  // Every text the widget shows or announces, per language; {name} is filled in by t().
  var STRINGS = {
    en: {
      title: "Privacy questions",
      openChat: "Open privacy questions chat",
      closeChat: "Close privacy questions chat",
      subtitle: "Answers quoted from the privacy policy",
      clearLabel: "Clear conversation",
      clear: "Clear",
      closeLabel: "Close chat",
      conversation: "Conversation",
      inputLabel: "Your question",
      placeholder: "Ask about your personal data\u2026",
      sendLabel: "Send message",
      send: "Send",
      formLabel: "Send a message",
      notice: "Chats are stored (e-mail addresses and phone numbers masked) until you press Clear. Formal requests go to {who} privacy desk. ",
      noticeCompany: "{company}\u2019s",
      noticeNoCompany: "the company\u2019s",
      policyLink: "Privacy policy",
      you: "You: ",
      assistant: "Assistant: ",
      sources: "Sources from the privacy policy",
      source: "Source {n}: {section}",
      clause: "policy clause",
      policy: "Policy",
      quote: "\u201c{text}\u201d",
      section: "Section: {section}",
      page: " \u00b7 page {page}",
      openPolicy: "Open in the full policy \u2197",
      reference: "Reference",
      status: "Status",
      dueBy: "Reply due by",
      checkCode: "Check code",
      sentTo: "\u2713 Sent to {company}\u2019s privacy desk",
      alreadyWith: "\u2713 Already with {company}\u2019s privacy desk",
      keepCodes: "Keep the reference and check code to ask about the status later.",
      draftTitle: "Send this request to {company}\u2019s privacy desk",
      sendDraft: "Send request",
      draftFailed: "The request was not sent: {reason}",
      request: "Request {id}",
      chooseCompany: "Choose a company",
      askAbout: "Ask about {name}",
      loadingCompanies: "Loading companies\u2026",
      companiesFailed: "Could not load the list of companies.",
      welcomeCompany: "Ask how {company} handles your personal information. I answer from its privacy policy and quote the clauses I rely on.",
      welcome: "Ask how a company handles your personal information. I answer from its privacy policy and quote the clauses I rely on.",
      unavailableHere: "The privacy chat is not available on this site yet.",
      forOwner: "For the site owner: {problem} Details are in the browser console.",
      addOrigin: "add {origin} to PA_WIDGET_ORIGINS on the assistant's server.",
      badCompany: "data-company=\"{company}\" is not a company this assistant serves.",
      detail: " ({detail})",
      unknownCompany: "The assistant does not know this company{detail}.",
      invalidMessage: "The message could not be sent{detail}. Please edit it and try again.",
      tooMany: "Too many messages just now. Please wait a moment and try again.",
      unavailable: "The assistant is not available right now. Please try again in a minute.",
      serverError: "Something went wrong on our side. Please try again.",
      notSent: "The message could not be sent{detail}.",
      timeout: "The assistant took too long to answer. Please try again.",
      cutOff: "The answer was cut off. Please try again.",
      offline: "Could not reach the assistant. Check your connection and try again.",
      empty: "Please type a question first.",
      tooLong: "The message is too long: the limit is {limit} characters.",
      clearFailed: "Could not clear the conversation on the server. {reason}",
      statuses: {},
    },
    ja: {
      title: "\u30d7\u30e9\u30a4\u30d0\u30b7\u30fc\u306b\u95a2\u3059\u308b\u3054\u8cea\u554f",
      openChat: "\u30d7\u30e9\u30a4\u30d0\u30b7\u30fc\u306b\u95a2\u3059\u308b\u8cea\u554f\u306e\u30c1\u30e3\u30c3\u30c8\u3092\u958b\u304f",
      closeChat: "\u30d7\u30e9\u30a4\u30d0\u30b7\u30fc\u306b\u95a2\u3059\u308b\u8cea\u554f\u306e\u30c1\u30e3\u30c3\u30c8\u3092\u9589\u3058\u308b",
      subtitle: "\u30d7\u30e9\u30a4\u30d0\u30b7\u30fc\u30dd\u30ea\u30b7\u30fc\u3092\u5f15\u7528\u3057\u3066\u304a\u7b54\u3048\u3057\u307e\u3059",
      clearLabel: "\u4f1a\u8a71\u3092\u6d88\u53bb",
      clear: "\u6d88\u53bb",
      closeLabel: "\u30c1\u30e3\u30c3\u30c8\u3092\u9589\u3058\u308b",
      conversation: "\u4f1a\u8a71",
      inputLabel: "\u3054\u8cea\u554f",
      placeholder: "\u500b\u4eba\u60c5\u5831\u306b\u3064\u3044\u3066\u3054\u8cea\u554f\u304f\u3060\u3055\u3044\u2026",
      sendLabel: "\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u9001\u4fe1",
      send: "\u9001\u4fe1",
      formLabel: "\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u9001\u308b",
      notice: "\u30c1\u30e3\u30c3\u30c8\u306f\u300c\u6d88\u53bb\u300d\u3092\u62bc\u3059\u307e\u3067\u4fdd\u5b58\u3055\u308c\u307e\u3059\uff08\u30e1\u30fc\u30eb\u30a2\u30c9\u30ec\u30b9\u3068\u96fb\u8a71\u756a\u53f7\u306f\u4f0f\u305b\u3066\u4fdd\u5b58\u3057\u307e\u3059\uff09\u3002\u6b63\u5f0f\u306a\u8acb\u6c42\u306f{who}\u306e\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u306b\u5c4a\u304d\u307e\u3059\u3002",
      noticeCompany: "{company}",
      noticeNoCompany: "\u4f1a\u793e",
      policyLink: "\u30d7\u30e9\u30a4\u30d0\u30b7\u30fc\u30dd\u30ea\u30b7\u30fc",
      you: "\u3042\u306a\u305f: ",
      assistant: "\u30a2\u30b7\u30b9\u30bf\u30f3\u30c8: ",
      sources: "\u30d7\u30e9\u30a4\u30d0\u30b7\u30fc\u30dd\u30ea\u30b7\u30fc\u306e\u51fa\u5178",
      source: "\u51fa\u5178 {n}: {section}",
      clause: "\u30dd\u30ea\u30b7\u30fc\u306e\u6761\u9805",
      policy: "\u30dd\u30ea\u30b7\u30fc",
      quote: "\u300c{text}\u300d",
      section: "\u6761\u9805: {section}",
      page: " \u00b7 {page} \u30da\u30fc\u30b8",
      openPolicy: "\u30dd\u30ea\u30b7\u30fc\u5168\u6587\u3067\u898b\u308b \u2197",
      reference: "\u53d7\u4ed8\u756a\u53f7",
      status: "\u72b6\u6cc1",
      dueBy: "\u56de\u7b54\u671f\u9650",
      checkCode: "\u78ba\u8a8d\u30b3\u30fc\u30c9",
      sentTo: "\u2713 {company}\u306e\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u306b\u9001\u308a\u307e\u3057\u305f",
      alreadyWith: "\u2713 {company}\u306e\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u3067\u53d7\u4ed8\u6e08\u307f\u3067\u3059",
      keepCodes: "\u5f8c\u3067\u72b6\u6cc1\u3092\u78ba\u8a8d\u3059\u308b\u3068\u304d\u306e\u305f\u3081\u306b\u3001\u53d7\u4ed8\u756a\u53f7\u3068\u78ba\u8a8d\u30b3\u30fc\u30c9\u3092\u63a7\u3048\u3066\u304a\u3044\u3066\u304f\u3060\u3055\u3044\u3002",
      draftTitle: "{company}\u306e\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u306b\u3053\u306e\u3054\u4f9d\u983c\u3092\u9001\u308b",
      sendDraft: "\u9001\u4fe1\u3059\u308b",
      draftFailed: "\u9001\u4fe1\u3067\u304d\u307e\u305b\u3093\u3067\u3057\u305f\uff1a{reason}",
      request: "\u7533\u8acb {id}",
      chooseCompany: "\u4f1a\u793e\u3092\u9078\u3093\u3067\u304f\u3060\u3055\u3044",
      askAbout: "{name}\u306b\u3064\u3044\u3066\u8cea\u554f\u3059\u308b",
      loadingCompanies: "\u4f1a\u793e\u306e\u4e00\u89a7\u3092\u8aad\u307f\u8fbc\u3093\u3067\u3044\u307e\u3059\u2026",
      companiesFailed: "\u4f1a\u793e\u306e\u4e00\u89a7\u3092\u8aad\u307f\u8fbc\u3081\u307e\u305b\u3093\u3067\u3057\u305f\u3002",
      welcomeCompany: "{company}\u304c\u500b\u4eba\u60c5\u5831\u3092\u3069\u306e\u3088\u3046\u306b\u53d6\u308a\u6271\u3063\u3066\u3044\u308b\u304b\u3001\u3054\u8cea\u554f\u304f\u3060\u3055\u3044\u3002\u30d7\u30e9\u30a4\u30d0\u30b7\u30fc\u30dd\u30ea\u30b7\u30fc\u306b\u57fa\u3065\u3044\u3066\u304a\u7b54\u3048\u3057\u3001\u6839\u62e0\u3068\u3057\u305f\u6761\u9805\u3092\u5f15\u7528\u3057\u307e\u3059\u3002",
      welcome: "\u4f1a\u793e\u304c\u500b\u4eba\u60c5\u5831\u3092\u3069\u306e\u3088\u3046\u306b\u53d6\u308a\u6271\u3063\u3066\u3044\u308b\u304b\u3001\u3054\u8cea\u554f\u304f\u3060\u3055\u3044\u3002\u305d\u306e\u4f1a\u793e\u306e\u30d7\u30e9\u30a4\u30d0\u30b7\u30fc\u30dd\u30ea\u30b7\u30fc\u306b\u57fa\u3065\u3044\u3066\u304a\u7b54\u3048\u3057\u3001\u6839\u62e0\u3068\u3057\u305f\u6761\u9805\u3092\u5f15\u7528\u3057\u307e\u3059\u3002",
      unavailableHere: "\u3053\u306e\u30b5\u30a4\u30c8\u3067\u306f\u3001\u30d7\u30e9\u30a4\u30d0\u30b7\u30fc\u306b\u95a2\u3059\u308b\u30c1\u30e3\u30c3\u30c8\u306f\u307e\u3060\u3054\u5229\u7528\u3044\u305f\u3060\u3051\u307e\u305b\u3093\u3002",
      forOwner: "\u30b5\u30a4\u30c8\u7ba1\u7406\u8005\u306e\u65b9\u3078: {problem} \u8a73\u3057\u304f\u306f\u30d6\u30e9\u30a6\u30b6\u306e\u30b3\u30f3\u30bd\u30fc\u30eb\u3092\u3054\u89a7\u304f\u3060\u3055\u3044\u3002",
      addOrigin: "\u30a2\u30b7\u30b9\u30bf\u30f3\u30c8\u306e\u30b5\u30fc\u30d0\u30fc\u306e PA_WIDGET_ORIGINS \u306b {origin} \u3092\u8ffd\u52a0\u3057\u3066\u304f\u3060\u3055\u3044\u3002",
      badCompany: "data-company=\"{company}\" \u306f\u3001\u3053\u306e\u30a2\u30b7\u30b9\u30bf\u30f3\u30c8\u304c\u5bfe\u5fdc\u3057\u3066\u3044\u308b\u4f1a\u793e\u3067\u306f\u3042\u308a\u307e\u305b\u3093\u3002",
      detail: "\uff08{detail}\uff09",
      unknownCompany: "\u3053\u306e\u4f1a\u793e\u306b\u306f\u5bfe\u5fdc\u3057\u3066\u3044\u307e\u305b\u3093{detail}\u3002",
      invalidMessage: "\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u9001\u4fe1\u3067\u304d\u307e\u305b\u3093\u3067\u3057\u305f{detail}\u3002\u5185\u5bb9\u3092\u76f4\u3057\u3066\u3001\u3082\u3046\u4e00\u5ea6\u304a\u8a66\u3057\u304f\u3060\u3055\u3044\u3002",
      tooMany: "\u77ed\u3044\u9593\u306b\u30e1\u30c3\u30bb\u30fc\u30b8\u304c\u591a\u3059\u304e\u307e\u3059\u3002\u5c11\u3057\u5f85\u3063\u3066\u304b\u3089\u3001\u3082\u3046\u4e00\u5ea6\u304a\u8a66\u3057\u304f\u3060\u3055\u3044\u3002",
      unavailable: "\u73fe\u5728\u30a2\u30b7\u30b9\u30bf\u30f3\u30c8\u3092\u3054\u5229\u7528\u3044\u305f\u3060\u3051\u307e\u305b\u3093\u30021\u5206\u307b\u3069\u3057\u3066\u304b\u3089\u3001\u3082\u3046\u4e00\u5ea6\u304a\u8a66\u3057\u304f\u3060\u3055\u3044\u3002",
      serverError: "\u3053\u3061\u3089\u5074\u3067\u554f\u984c\u304c\u767a\u751f\u3057\u307e\u3057\u305f\u3002\u3082\u3046\u4e00\u5ea6\u304a\u8a66\u3057\u304f\u3060\u3055\u3044\u3002",
      notSent: "\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u9001\u4fe1\u3067\u304d\u307e\u305b\u3093\u3067\u3057\u305f{detail}\u3002",
      timeout: "\u30a2\u30b7\u30b9\u30bf\u30f3\u30c8\u306e\u5fdc\u7b54\u306b\u6642\u9593\u304c\u304b\u304b\u308a\u3059\u304e\u307e\u3057\u305f\u3002\u3082\u3046\u4e00\u5ea6\u304a\u8a66\u3057\u304f\u3060\u3055\u3044\u3002",
      cutOff: "\u56de\u7b54\u304c\u9014\u4e2d\u3067\u9014\u5207\u308c\u307e\u3057\u305f\u3002\u3082\u3046\u4e00\u5ea6\u304a\u8a66\u3057\u304f\u3060\u3055\u3044\u3002",
      offline: "\u30a2\u30b7\u30b9\u30bf\u30f3\u30c8\u306b\u63a5\u7d9a\u3067\u304d\u307e\u305b\u3093\u3067\u3057\u305f\u3002\u63a5\u7d9a\u3092\u78ba\u8a8d\u3057\u3066\u3001\u3082\u3046\u4e00\u5ea6\u304a\u8a66\u3057\u304f\u3060\u3055\u3044\u3002",
      empty: "\u5148\u306b\u3054\u8cea\u554f\u3092\u5165\u529b\u3057\u3066\u304f\u3060\u3055\u3044\u3002",
      tooLong: "\u30e1\u30c3\u30bb\u30fc\u30b8\u304c\u9577\u3059\u304e\u307e\u3059\u3002\u4e0a\u9650\u306f {limit} \u6587\u5b57\u3067\u3059\u3002",
      clearFailed: "\u30b5\u30fc\u30d0\u30fc\u4e0a\u306e\u4f1a\u8a71\u3092\u6d88\u53bb\u3067\u304d\u307e\u305b\u3093\u3067\u3057\u305f\u3002{reason}",
      statuses: {
        received: "\u53d7\u4ed8\u6e08\u307f",
        awaiting_identity: "\u672c\u4eba\u78ba\u8a8d\u5f85\u3061",
        in_progress: "\u5bfe\u5fdc\u4e2d",
        completed: "\u5b8c\u4e86",
        rejected: "\u5374\u4e0b",
        withdrawn: "\u53d6\u308a\u4e0b\u3052",
      },
    },
  };

  // data-lang, then the page's lang, then the browser's languages: the first one supported.
  function pickLanguage() {
    var wanted = [script.dataset.lang, document.documentElement.getAttribute("lang")];
    wanted = wanted.concat(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var primary = String(wanted[i] || "").trim().toLowerCase().split(/[-_]/)[0];
      if (Object.prototype.hasOwnProperty.call(STRINGS, primary)) return primary;
    }
    return "en";
  }

  var LANG = pickLanguage();
  var TEXT = STRINGS[LANG];

  function t(key, values) {
    return TEXT[key].replace(/\{(\w+)\}/g, function (all, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  function statusLabel(status) {
    return TEXT.statuses[status] || String(status).replace(/_/g, " ");
  }

  // Sent on every request, so the server's error texts come back in the widget's language.
  function withLanguage(headers) {
    var out = { "Accept-Language": LANG };
    for (var k in headers || {}) out[k] = headers[k];
    return out;
  }

  // ---------------------------------------------------------------- state (sessionStorage)
  function freshState() {
    return { sessionId: null, company: FIXED_COMPANY, pending: null, open: false, transcript: [] };
  }

  function loadState() {
    try {
      var raw = window.sessionStorage.getItem(STORE_KEY);
      if (raw) {
        var s = JSON.parse(raw);
        if (s && Array.isArray(s.transcript)) {
          var base = freshState();
          for (var k in base) if (Object.prototype.hasOwnProperty.call(s, k)) base[k] = s[k];
          if (FIXED_COMPANY) base.company = FIXED_COMPANY;
          return base;
        }
      }
    } catch (e) { /* storage blocked or corrupt: start fresh */ }
    return freshState();
  }

  function saveState() {
    state.transcript = state.transcript.slice(-MAX_ENTRIES);
    try { window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  var state = loadState();
  var companies = null; // [{id, name, short_name, ...}] once loaded
  var busy = false;
  var configError = null; // set when the embedding is misconfigured: the site owner's message replaces the chat

  // ---------------------------------------------------------------- tiny DOM helpers
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var name in attrs) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) continue;
        if (name === "text") node.textContent = value;
        else if (name === "className") node.className = value;
        else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? "" : String(value));
      }
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  var uid = 0;
  function nextId(prefix) { uid += 1; return "pa-" + prefix + "-" + uid; }

  function companyById(id) {
    return (companies || []).filter(function (c) { return c.id === id; })[0] || null;
  }

  // The short name as the widget's language writes it (short_names.ja on a Japanese page).
  function shortName(c) {
    return (c.short_names && c.short_names[LANG]) || c.short_name;
  }

  function companyLabel(id) {
    var c = companyById(id);
    return c ? shortName(c) : id;
  }

  function policyUrl(company, cite) {
    var u = new URL(API + "/policy");
    u.searchParams.set("company", company);
    if (cite) {
      u.searchParams.set("doc", cite.doc_id);
      u.searchParams.set("start", String(cite.start));
      u.searchParams.set("end", String(cite.end));
      u.searchParams.set("v", cite.version);
    }
    u.searchParams.set("lang", LANG);
    return u.href;
  }

  // ---------------------------------------------------------------- styles
  var CSS = [
    ":host{all:initial}",
    "*,*::before,*::after{box-sizing:border-box}",
    ".wrap{font-family:'Noto Sans','Noto Sans CJK JP','Noto Sans JP','Hiragino Sans','Hiragino Kaku Gothic ProN','Yu Gothic UI','Yu Gothic',Meiryo,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;",
    "  font-size:15px;line-height:1.55;color:#1f2328;-webkit-font-smoothing:antialiased}",
    "button,textarea,input{font:inherit;color:inherit}",
    ":focus-visible{outline:3px solid #f0a500;outline-offset:2px}",
    ".sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;",
    "  border:0;border-radius:999px;padding:12px 18px;background:#0b57a4;color:#fff;font-weight:600;cursor:pointer;",
    "  box-shadow:0 6px 20px rgba(0,0,0,.25)}",
    ".launcher:hover{background:#094a8c}",
    ".launcher svg{width:22px;height:22px;flex:none}",
    ".panel{position:fixed;right:20px;bottom:84px;z-index:2147483001;width:400px;max-width:calc(100vw - 24px);",
    "  height:620px;max-height:calc(100vh - 104px);display:flex;flex-direction:column;background:#fff;",
    "  border:1px solid #d0d7de;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.22);overflow:hidden}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;gap:8px;padding:10px 10px 10px 16px;background:#0b57a4;color:#fff}",
    ".titles{flex:1;min-width:0}",
    "h2{margin:0;font-size:16px;font-weight:700;line-height:1.3}",
    ".sub{margin:0;font-size:13px;opacity:.9;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".hbtn{border:1px solid rgba(255,255,255,.6);background:transparent;color:#fff;border-radius:8px;padding:4px 10px;cursor:pointer;font-size:13px}",
    ".hbtn:hover{background:rgba(255,255,255,.15)}",
    ".close{font-size:20px;line-height:1;padding:2px 9px}",
    ".notice{margin:0;padding:7px 14px;font-size:12px;line-height:1.45;color:#57606a;background:#f6f8fa;border-bottom:1px solid #e5e7eb}",
    ".notice a{color:#0b57a4}",
    ".log{position:relative;flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}",
    ".msg{max-width:92%;padding:9px 12px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:normal}",
    ".msg.user{align-self:flex-end;background:#0b57a4;color:#fff;border-bottom-right-radius:4px}",
    ".msg.bot{align-self:flex-start;background:#f1f3f5;border-bottom-left-radius:4px}",
    ".msg.bot.abstain{background:#fff8e6;border:1px solid #f0d9a0}",
    ".msg.welcome{background:transparent;border:1px dashed #c8d1da;color:#57606a;font-size:14px}",
    ".msg .text{margin:0}",
    ".typing::after{content:'\\2026';animation:blink 1s steps(2) infinite}",
    "@keyframes blink{50%{opacity:.2}}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;white-space:normal}",
    ".chip{display:inline-flex;align-items:center;gap:6px;max-width:100%;border:1px solid #b6c2cf;background:#fff;border-radius:14px;",
    "  padding:3px 10px 3px 3px;font-size:12px;cursor:pointer;color:#1f2328}",
    ".chip[aria-expanded=true]{border-color:#0b57a4;background:#e8f0fb}",
    ".chip .n{display:inline-grid;place-items:center;min-width:20px;height:20px;border-radius:999px;background:#0b57a4;color:#fff;font-weight:700;font-size:11px}",
    ".chip .s{overflow:hidden;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;text-align:left;line-height:1.35}",
    ".cite{margin-top:8px;padding:9px 11px;background:#fff;border:1px solid #d0d7de;border-left:4px solid #0b57a4;border-radius:8px;white-space:normal}",
    ".cite[hidden]{display:none}",
    ".cite blockquote{margin:0 0 6px;white-space:pre-wrap;font-size:14px}",
    ".cite .sec{margin:0 0 6px;font-size:12px;color:#57606a}",
    ".cite a{font-size:13px;color:#0b57a4;font-weight:600}",
    ".ticket{margin-top:8px;padding:10px 12px;background:#eefaf1;border:1px solid #9fd8b0;border-radius:10px;white-space:normal}",
    ".ticket .t{margin:0 0 6px;font-weight:700;color:#116329}",
    ".ticket dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:2px 10px;font-size:14px}",
    ".ticket dt{color:#57606a}",
    ".ticket dd{margin:0;font-weight:600;overflow-wrap:anywhere}",
    ".ticket .ref{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:15px}",
    ".ticket .hint{margin:6px 0 0;font-size:12px;color:#57606a}",
    ".draft{margin-top:8px;padding:10px 12px;background:#fff;border:1px solid #d0d7de;border-radius:10px;white-space:normal;display:grid;gap:6px}",
    ".draft .t{margin:0;font-weight:700}",
    ".draft label{display:grid;gap:2px;font-size:13px;color:#57606a}",
    ".draft input[type=text],.draft input[type=email]{font:inherit;font-size:14px;padding:5px 7px;border:1px solid #d0d7de;border-radius:6px}",
    ".draft label.consent{display:flex;gap:6px;align-items:flex-start;color:#1f2328}",
    ".draft button{justify-self:start;border:0;background:#0b57a4;color:#fff;border-radius:8px;padding:6px 12px;font-weight:600;cursor:pointer}",
    ".draft button:disabled{opacity:.6;cursor:default}",
    ".draft .problem{margin:0;color:#8a1c12;font-size:13px}",
    ".choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;white-space:normal}",
    ".choice{border:1px solid #0b57a4;background:#fff;color:#0b57a4;border-radius:8px;padding:5px 10px;cursor:pointer;font-size:14px}",
    ".choice:hover:not(:disabled){background:#e8f0fb}",
    ".choice:disabled{opacity:.5;cursor:default}",
    ".error{margin:0 12px;padding:8px 10px;background:#fff1f0;border:1px solid #f5b5b0;color:#8a1c12;border-radius:8px;font-size:14px}",
    ".error[hidden]{display:none}",
    ".msg.config{background:#fff8e6;border:1px solid #f0d9a0;font-size:14px}",
    ".msg.config .owner{margin:6px 0 0;font-size:12px;color:#57606a}",
    "form[hidden],.hbtn[hidden]{display:none}",
    "form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px 12px;border-top:1px solid #e5e7eb}",
    "textarea{flex:1;resize:none;min-height:44px;max-height:130px;padding:10px 12px;border:1px solid #b6c2cf;border-radius:10px;background:#fff;line-height:1.4}",
    "textarea:focus{border-color:#0b57a4}",
    ".send{border:0;border-radius:10px;background:#0b57a4;color:#fff;font-weight:600;padding:0 16px;height:44px;cursor:pointer}",
    ".send:disabled{background:#8aa9c9;cursor:default}",
    "@media (max-width:480px){",
    "  .panel{right:8px;left:8px;width:auto;max-width:none;bottom:76px;height:auto;top:8px;max-height:none}",
    "  .launcher{right:12px;bottom:12px}",
    "}",
    "@media (prefers-reduced-motion:reduce){.typing::after{animation:none}}",
  ].join("\n");

  var ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2"' +
    ' stroke-linecap="round" stroke-linejoin="round"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>';

  // ---------------------------------------------------------------- build the widget
  var host = el("div", { id: "privacy-assistant-widget" });
  var root = host.attachShadow({ mode: "open" });
  // A constructed stylesheet is not blocked by a host page's strict style-src CSP; <style> is the fallback.
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(el("style", { text: CSS }));
  }

  var wrap = el("div", { className: "wrap", lang: LANG });
  root.appendChild(wrap);

  var launcher = el("button", {
    className: "launcher", type: "button", "aria-label": t("openChat"),
    "aria-expanded": "false", "aria-controls": "pa-panel", "aria-haspopup": "dialog",
  });
  launcher.innerHTML = ICON; // static markup, no server text
  launcher.appendChild(el("span", { text: t("title") }));

  var title = el("h2", { id: "pa-title", text: t("title") });
  var subtitle = el("p", { className: "sub", id: "pa-sub", text: FIXED_COMPANY ? FIXED_COMPANY : t("subtitle") });
  var clearBtn = el("button", { className: "hbtn clear", type: "button", "aria-label": t("clearLabel"), text: t("clear") });
  var closeBtn = el("button", { className: "hbtn close", type: "button", "aria-label": t("closeLabel"), text: "\u00d7" });
  var header = el("header", null, [el("div", { className: "titles" }, [title, subtitle]), clearBtn, closeBtn]);

  var notice = el("p", { className: "notice", id: "pa-notice" });
  var log = el("div", {
    className: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": t("conversation"), tabindex: "-1",
  });
  var errorBox = el("p", { className: "error", role: "alert", hidden: true });
  var input = el("textarea", {
    id: "pa-input", rows: "2", maxlength: String(MAX_CHARS), "aria-label": t("inputLabel"),
    placeholder: t("placeholder"), autocomplete: "off",
  });
  var sendBtn = el("button", { className: "send", type: "submit", "aria-label": t("sendLabel"), text: t("send") });
  var form = el("form", { "aria-label": t("formLabel"), novalidate: true }, [input, sendBtn]);

  var panel = el("section", {
    id: "pa-panel", className: "panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "pa-title", "aria-describedby": "pa-notice", hidden: true,
  }, [header, notice, log, errorBox, form]);

  wrap.appendChild(panel);
  wrap.appendChild(launcher);

  // ---------------------------------------------------------------- rendering
  function renderNotice() {
    notice.textContent = "";
    var co = state.company;
    var who = co ? t("noticeCompany", { company: companyLabel(co) }) : t("noticeNoCompany");
    notice.appendChild(document.createTextNode(t("notice", { who: who })));
    if (co) {
      notice.appendChild(el("a", { href: policyUrl(co, null), target: "_blank", rel: "noopener", text: t("policyLink") }));
    }
  }

  function renderHeader() {
    var co = state.company;
    var c = co && companyById(co);
    subtitle.textContent = c ? c.name : (co || t("subtitle"));
  }

  function scrollToEnd() { log.scrollTop = log.scrollHeight; }

  function scrollToLatest() {
    var questions = log.querySelectorAll(".msg.user");
    if (questions.length) scrollToTurn(questions[questions.length - 1]);
    else scrollToEnd();
  }

  // Follow a reply as it grows, but stop once the question reaches the top: long answers are read from the start.
  function scrollToTurn(question) {
    log.scrollTop = Math.min(log.scrollHeight, Math.max(0, question.offsetTop - 8));
  }

  function userBubble(text) {
    return el("div", { className: "msg user" }, [el("span", { className: "sr-only", text: t("you") }), document.createTextNode(text)]);
  }

  function citationChips(reply) {
    if (!reply.citations || !reply.citations.length) return [];
    var detail = el("div", { className: "cite", id: nextId("cite"), hidden: true });
    var chips = el("div", { className: "chips", role: "group", "aria-label": t("sources") });
    var open = null;
    reply.citations.forEach(function (cite) {
      var chip = el("button", {
        className: "chip", type: "button", "aria-expanded": "false", "aria-controls": detail.id,
        "aria-label": t("source", { n: cite.id, section: cite.section || t("clause") }),
        title: cite.section || "",
      }, [el("span", { className: "n", text: String(cite.id), "aria-hidden": "true" }),
          el("span", { className: "s", text: shortSection(cite.section), "aria-hidden": "true" })]);
      chip.addEventListener("click", function () {
        if (open === chip) {
          chip.setAttribute("aria-expanded", "false");
          detail.hidden = true;
          open = null;
          return;
        }
        if (open) open.setAttribute("aria-expanded", "false");
        open = chip;
        chip.setAttribute("aria-expanded", "true");
        showCitation(detail, reply, cite);
      });
      chips.appendChild(chip);
    });
    return [chips, detail];
  }

  // "Treatment of Personal Information > 3.Provision to Third Parties > 3" -> "3.Provision to Third Parties > 3":
  // the chip shows the distinctive tail; the full path is in the tooltip and the opened citation.
  function shortSection(section) {
    var parts = String(section || "").split(">").map(function (p) { return p.trim(); }).filter(Boolean);
    if (!parts.length) return t("policy");
    var last = parts[parts.length - 1];
    return parts.length > 1 && last.length <= 4 ? parts[parts.length - 2] + " \u203a " + last : last;
  }

  function showCitation(detail, reply, cite) {
    detail.textContent = "";
    var company = cite.company || state.company;
    // display: the passage without markup; text is the exact slice the policy view highlights.
    detail.appendChild(el("blockquote", { text: t("quote", { text: String(cite.display || cite.text).trim() }) }));
    var where = t("section", { section: cite.section || "\u2014" }) + (cite.page ? t("page", { page: cite.page }) : "");
    detail.appendChild(el("p", { className: "sec", text: where }));
    detail.appendChild(el("a", {
      href: policyUrl(company, cite), target: "_blank", rel: "noopener", className: "policy-link",
      text: t("openPolicy"),
    }));
    detail.hidden = false;
    detail.scrollIntoView({ block: "nearest" });
  }

  // A ticket: the chat's (older replies) or a submitted draft's ({id, status, company, lookup_token, next_steps}).
  function ticketCard(ticket) {
    var dl = el("dl");
    function row(label, value, cls) {
      dl.appendChild(el("dt", { text: label }));
      dl.appendChild(el("dd", { className: cls || null, text: value }));
    }
    row(t("reference"), ticket.id, "ref");
    row(t("status"), statusLabel(ticket.status), "status");
    // A due date only where the server gives one: the desk's own target is not the policy's promise.
    if (ticket.due_at) row(t("dueBy"), formatDate(ticket.due_at));
    if (ticket.lookup_token) row(t("checkCode"), ticket.lookup_token, "ref");
    var lead = t(ticket.duplicate ? "alreadyWith" : "sentTo", { company: companyLabel(ticket.company) });
    return el("div", { className: "ticket", role: "group", "aria-label": t("request", { id: ticket.id }) }, [
      el("p", { className: "t", text: lead }),
      dl,
      ticket.next_steps ? el("p", { className: "hint next", text: ticket.next_steps }) : null,
      ticket.lookup_token ? el("p", { className: "hint", text: t("keepCodes") }) : null,
    ]);
  }

  // The draft of a formal request as a short form with an explicit submit (POST /v1/requests).
  // What the customer types is sent once and never kept in the widget's storage.
  function draftForm(reply) {
    var draft = reply.request_draft;
    var form = el("form", { className: "draft", "aria-label": t("draftTitle", { company: companyLabel(draft.company) }) });
    form.appendChild(el("p", { className: "t", text: t("draftTitle", { company: companyLabel(draft.company) }) }));
    var inputs = {};
    (draft.fields || []).forEach(function (f) {
      var id = nextId("field");
      if (f.name === "consent") {
        inputs.consent = el("input", { type: "checkbox", id: id, name: "consent", required: true });
        form.appendChild(el("label", { className: "consent", for: id }, [inputs.consent, el("span", { text: f.label })]));
        return;
      }
      inputs[f.name] = el("input", { type: f.name === "email" ? "email" : "text", id: id, name: f.name, autocomplete: f.name === "postal_address" ? "street-address" : f.name === "phone" ? "tel" : f.name });
      form.appendChild(el("label", { for: id }, [el("span", { text: f.label }), inputs[f.name]]));
    });
    var problem = el("p", { className: "problem", role: "alert" });
    problem.hidden = true;
    var button = el("button", { type: "submit", text: t("sendDraft") });
    form.appendChild(problem);
    form.appendChild(button);
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      var contact = {};
      ["name", "email", "postal_address", "phone"].forEach(function (k) { if (inputs[k] && inputs[k].value.trim()) contact[k] = inputs[k].value.trim(); });
      button.disabled = true;
      problem.hidden = true;
      try {
        var resp = await fetch(API + "/v1/requests", {
          method: "POST",
          headers: withLanguage({ "Content-Type": "application/json" }),
          body: JSON.stringify({ draft_id: draft.id, session_id: reply.session_id, contact: contact, consent: !!(inputs.consent && inputs.consent.checked) }),
          credentials: "omit",
        });
        if (!resp.ok) throw new HttpError(resp.status, await readDetail(resp));
        var done = await resp.json();
        reply.submitted = { id: done.reference, status: done.status, company: done.company, lookup_token: done.lookup_token, next_steps: done.next_steps };
        saveState();  // the reference and check code only: the contact details are not kept here
        form.replaceWith(ticketCard(reply.submitted));
      } catch (err) {
        problem.textContent = t("draftFailed", { reason: err instanceof HttpError && err.detail ? err.detail : readable(err) });
        problem.hidden = false;
        button.disabled = false;
      }
    });
    return form;
  }

  function clarifyChoices(active) {
    var group = el("div", { className: active ? "choices live" : "choices", role: "group", "aria-label": t("chooseCompany") });
    function fill() {
      group.textContent = "";
      (companies || []).forEach(function (c) {
        group.appendChild(el("button", {
          className: "choice", type: "button", disabled: !active, "data-company": c.id, text: shortName(c),
          "aria-label": t("askAbout", { name: c.name }),
          onclick: function () { chooseCompany(c); },
        }));
      });
      if (!companies) group.appendChild(el("span", { text: t("loadingCompanies") }));
    }
    fill();
    if (!companies) loadCompanies().then(fill, function () {
      group.textContent = "";
      group.appendChild(el("span", { text: t("companiesFailed") }));
    });
    return group;
  }

  function botBubble(reply, active) {
    var bubble = el("div", { className: "msg bot " + reply.route });
    bubble.appendChild(el("span", { className: "sr-only", text: t("assistant") }));
    bubble.appendChild(el("p", { className: "text", text: reply.answer }));
    if (reply.route === "desk" && reply.ticket) bubble.appendChild(ticketCard(reply.ticket));
    else if (reply.route === "desk" && reply.submitted) bubble.appendChild(ticketCard(reply.submitted));
    else if (reply.route === "desk" && reply.request_draft && !reply.request_draft.reference) bubble.appendChild(draftForm(reply));
    if (reply.route === "clarify") bubble.appendChild(clarifyChoices(active));
    citationChips(reply).forEach(function (n) { bubble.appendChild(n); });
    return bubble;
  }

  function welcome() {
    var co = state.company;
    var text = co ? t("welcomeCompany", { company: companyLabel(co) }) : t("welcome");
    return el("div", { className: "msg bot welcome", text: text });
  }

  function configBubble() {
    return el("div", { className: "msg bot config", role: "alert" }, [
      el("p", { className: "text", text: t("unavailableHere") }),
      el("p", { className: "owner", text: t("forOwner", { problem: configError }) }),
    ]);
  }

  function renderAll() {
    log.textContent = "";
    renderHeader();
    renderNotice();
    form.hidden = clearBtn.hidden = notice.hidden = !!configError;
    if (configError) {
      log.appendChild(configBubble());
      return;
    }
    if (!state.transcript.length) log.appendChild(welcome());
    var last = state.transcript.length - 1;
    state.transcript.forEach(function (entry, i) {
      if (entry.who === "user") log.appendChild(userBubble(entry.text));
      else log.appendChild(botBubble(entry.reply, i === last && !!state.pending));
    });
    scrollToLatest();
  }

  function formatDate(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.toLocaleDateString(LANG === "en" ? undefined : LANG, { year: "numeric", month: "short", day: "numeric" });
  }

  // ---------------------------------------------------------------- errors
  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
  }

  function hideError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
  }

  function HttpError(status, detail) {
    this.status = status;
    this.detail = detail;
  }

  async function readDetail(resp) {
    try {
      var body = await resp.json();
      if (body && typeof body.detail === "string") return body.detail;
      if (body && body.detail) return JSON.stringify(body.detail);
    } catch (e) { /* not JSON */ }
    return resp.statusText || "";
  }

  function readable(err) {
    if (err instanceof HttpError) {
      // A Japanese detail ends in its own full stop, which the sentence around it already has.
      var d = { detail: err.detail ? t("detail", { detail: String(err.detail).replace(/\u3002$/, "") }) : "" };
      if (err.status === 404) return t("unknownCompany", d);
      if (err.status === 422) return t("invalidMessage", d);
      if (err.status === 429) return t("tooMany");
      if (err.status === 503) return t("unavailable");
      if (err.status >= 500) return t("serverError");
      return t("notSent", d);
    }
    if (err && err.name === "AbortError") return t("timeout");
    if (err && err.cutOff) return t("cutOff");
    return t("offline");
  }

  // ---------------------------------------------------------------- misconfigured embedding
  // The site owner's mistake, told to them in the console (with what to set) and in the widget, not blamed on the network.
  function reportConfig(short, details) {
    if (configError) return;
    configError = short;
    if (window.console && console.error) console.error("privacy-assistant widget: " + short + " " + details);
    hideError();
    renderAll();
  }

  // A cross-origin request blocked by CORS fails exactly like a network error. A no-cors request is not subject to
  // CORS: if it reaches the server, the server is up and does not allow this page's origin.
  async function blockedByCors(err) {
    if (PAGE_ORIGIN === API_ORIGIN || err instanceof HttpError || (err && (err.name === "AbortError" || err.cutOff))) return false;
    try {
      await fetch(API + "/healthz", { mode: "no-cors", credentials: "omit", cache: "no-store" });
      return true;
    } catch (e) {
      return false;
    }
  }

  function originNotAllowed() {
    reportConfig(
      t("addOrigin", { origin: PAGE_ORIGIN }),
      "The assistant at " + API_ORIGIN + " refused this page's origin " + PAGE_ORIGIN + " (CORS). Add it to PA_WIDGET_ORIGINS " +
      "on the assistant's server, e.g. PA_WIDGET_ORIGINS=" + (FIXED_COMPANY || "COMPANY_ID") + "=" + PAGE_ORIGIN +
      " (several: company=origin|origin,other=origin), and restart it.");
  }

  function checkCompany(list) {
    if (!FIXED_COMPANY || list.some(function (c) { return c.id === FIXED_COMPANY; })) return;
    reportConfig(
      t("badCompany", { company: FIXED_COMPANY }),
      "Set data-company on the widget's script tag to one of: " + list.map(function (c) { return c.id; }).join(", ") +
      " (or leave it out to let the assistant ask).");
  }

  // ---------------------------------------------------------------- the SSE stream
  async function readStream(resp, onDelta) {
    var reader = resp.body.getReader();
    var decoder = new TextDecoder("utf-8");
    var buf = "";
    var carry = "";
    var final = null;

    function dispatch(block) {
      var event = "message";
      var data = [];
      block.split("\n").forEach(function (line) {
        if (!line || line.charAt(0) === ":") return;
        var i = line.indexOf(":");
        var field = i < 0 ? line : line.slice(0, i);
        var value = i < 0 ? "" : line.slice(i + 1);
        if (value.charAt(0) === " ") value = value.slice(1);
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      });
      if (!data.length) return;
      var payload = JSON.parse(data.join("\n"));
      if (event === "delta") onDelta(payload.text || "");
      else if (event === "done") final = payload;
      else if (event === "error") throw new HttpError(500, payload.detail || "");
    }

    for (;;) {
      var chunk = await reader.read();
      var text = carry + (chunk.value ? decoder.decode(chunk.value, { stream: !chunk.done }) : "");
      carry = "";
      // A CR at the end of a chunk may be the first half of a CRLF: wait for the next chunk.
      if (!chunk.done && text.charAt(text.length - 1) === "\r") {
        carry = "\r";
        text = text.slice(0, -1);
      }
      buf += text.replace(/\r\n|\r/g, "\n");
      var at;
      while ((at = buf.indexOf("\n\n")) >= 0) {
        var block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        dispatch(block);
      }
      if (chunk.done) break;
    }
    if (buf.trim()) dispatch(buf);
    return final;
  }

  // ---------------------------------------------------------------- sending
  function setBusy(on) {
    busy = on;
    sendBtn.disabled = on;
    input.readOnly = on;
    clearBtn.disabled = on;
    log.setAttribute("aria-busy", on ? "true" : "false");
    // Company buttons of the latest clarify question work again once nothing is in flight.
    root.querySelectorAll(on ? ".choice" : ".choices.live .choice").forEach(function (b) { b.disabled = on; });
  }

  async function send(message, company, shownText) {
    if (busy) return false;
    message = message.trim();
    if (!message) {
      showError(t("empty"));
      input.focus();
      return false;
    }
    if (message.length > MAX_CHARS) {
      showError(t("tooLong", { limit: MAX_CHARS }));
      return false;
    }
    hideError();
    setBusy(true);
    if (!state.transcript.length) log.textContent = "";
    var mine = userBubble(shownText || message);
    var textNode = el("p", { className: "text typing" });
    var pending = el("div", { className: "msg bot", "aria-hidden": "true" }, [textNode]);
    log.appendChild(mine);
    log.appendChild(pending);
    scrollToEnd();

    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    try {
      var resp = await fetch(API + "/v1/chat/stream", {
        method: "POST",
        headers: withLanguage({ "Content-Type": "application/json", Accept: "text/event-stream" }),
        body: JSON.stringify({ message: message, company: company || null, session_id: state.sessionId }),
        signal: controller ? controller.signal : undefined,
        credentials: "omit",
      });
      if (!resp.ok) throw new HttpError(resp.status, await readDetail(resp));
      var reply = await readStream(resp, function (piece) {
        textNode.textContent += piece;
        scrollToTurn(mine);
      });
      if (!reply) throw { cutOff: true };

      state.sessionId = reply.session_id;
      if (company) state.company = company;
      if (reply.citations && reply.citations[0]) state.company = state.company || reply.citations[0].company;
      if (reply.request_draft) state.company = state.company || reply.request_draft.company;
      state.pending = reply.route === "clarify" ? message : null;
      state.transcript.push({ who: "user", text: shownText || message });
      state.transcript.push({ who: "bot", reply: reply });
      saveState();
      root.querySelectorAll(".choices.live").forEach(function (g) { g.classList.remove("live"); });
      pending.replaceWith(botBubble(reply, reply.route === "clarify"));
      renderHeader();
      renderNotice();
      scrollToTurn(mine);
      return true;
    } catch (err) {
      mine.remove();
      pending.remove();
      if (!log.childNodes.length) log.appendChild(welcome());
      if (await blockedByCors(err)) originNotAllowed();
      else showError(readable(err));
      return false;
    } finally {
      if (timer) clearTimeout(timer);
      setBusy(false);
    }
  }

  async function submitInput() {
    var text = input.value;
    var ok = await send(text, state.company);
    if (ok && input.value === text) input.value = "";
    input.focus();
  }

  async function chooseCompany(c) {
    var message = state.pending;
    if (!message || busy) return;
    await send(message, c.id, shortName(c));
    input.focus();
  }

  async function clearConversation() {
    if (busy) return;
    hideError();
    if (state.sessionId) {
      try {
        var resp = await fetch(API + "/v1/sessions/" + encodeURIComponent(state.sessionId), {
          method: "DELETE", credentials: "omit", headers: withLanguage(),
        });
        if (!resp.ok && resp.status !== 404) throw new HttpError(resp.status, await readDetail(resp));
      } catch (err) {
        showError(t("clearFailed", { reason: readable(err) }));
        return;
      }
    }
    var wasOpen = state.open;
    state = freshState();
    state.open = wasOpen;
    try { window.sessionStorage.removeItem(STORE_KEY); } catch (e) { /* ignore */ }
    saveState();
    input.value = "";
    renderAll();
    input.focus();
  }

  function loadMeta() {
    return fetch(API + "/v1/meta", { credentials: "omit", headers: withLanguage() }).then(function (r) {
      if (!r.ok) throw new HttpError(r.status, "");
      return r.json();
    }).then(function (meta) {
      var limit = meta && meta.limits && meta.limits.max_message_chars;
      if (typeof limit === "number" && limit > 0) {
        MAX_CHARS = limit;
        input.setAttribute("maxlength", String(limit));
      }
    }, function () { /* keep the default limit */ });
  }

  var companiesPromise = null;
  function loadCompanies() {
    if (!companiesPromise) {
      companiesPromise = fetch(API + "/v1/companies", { credentials: "omit", headers: withLanguage() }).then(function (r) {
        if (!r.ok) throw new HttpError(r.status, "");
        return r.json();
      }).then(function (list) {
        companies = list;
        checkCompany(list);
        if (!configError) {
          renderHeader();
          renderNotice();
          // The welcome drawn before the list came names the company by its id.
          var greeting = log.querySelector(".welcome");
          if (greeting) greeting.replaceWith(welcome());
        }
        return list;
      }, function (err) {
        companiesPromise = null;
        throw err;
      });
    }
    return companiesPromise;
  }

  // ---------------------------------------------------------------- open / close, keyboard
  function openPanel(focus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", t("closeChat"));
    state.open = true;
    saveState();
    scrollToLatest();
    if (focus !== false) input.focus();
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", t("openChat"));
    state.open = false;
    saveState();
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) openPanel(); else closePanel(); });
  closeBtn.addEventListener("click", closePanel);
  clearBtn.addEventListener("click", clearConversation);
  form.addEventListener("submit", function (e) { e.preventDefault(); submitInput(); });
  input.addEventListener("keydown", function (e) {
    // Enter sends; Shift+Enter is a new line; Enter while an IME is composing (Japanese input) confirms the conversion.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submitInput();
    }
  });
  wrap.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !panel.hidden) {
      e.preventDefault();
      closePanel();
    }
  });

  // ---------------------------------------------------------------- start
  function start() {
    document.body.appendChild(host);
    renderAll();
    if (state.open) openPanel(false);
    // Meta only once the companies came: from a site the API does not serve, it would fail the same way.
    loadCompanies().then(loadMeta).catch(async function (err) {
      if (await blockedByCors(err)) originNotAllowed(); // otherwise names fall back to ids
    });
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
