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
 * Server text is only ever inserted with textContent, never as HTML; http(s) URLs in the assistant's own
 * text become links built as DOM nodes (quotes from the policy stay verbatim text).
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
  // The requests made in this tab ({reference, lookup_token, company}): sessionStorage only, never in a URL, and kept
  // apart from the conversation so that Clear does not lose the codes needed to check a request.
  var REQUESTS_KEY = "privacy-assistant-requests:" + API;
  // The server's message limit (PA_MAX_MESSAGE_CHARS) comes from GET /v1/meta at start; until then,
  // or if that fails, the default limit. The server decides either way (a 422 names its limit).
  var MAX_CHARS = 2000;
  var MAX_ENTRIES = 100;
  var TIMEOUT_MS = 60000;
  var MAX_NOTE = 2000; // a message to the desk; GET /v1/meta's limits.max_note_chars once known
  var REFRESH_MS = 60000; // while My requests is open; refreshing also happens on open and with its button

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
      checkCode: "Check code",
      sentTo: "\u2713 Sent to {company}\u2019s privacy desk",
      alreadyWith: "\u2713 Already with {company}\u2019s privacy desk",
      keepCodes: "Keep the reference and check code to ask about the status later.",
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
      newTab: "Opens in a new tab",
      myRequests: "My requests",
      myRequestsLabel: "My requests: status and messages from the privacy desk",
      backToChat: "\u2190 Chat",
      backToChatLabel: "Back to the chat",
      refresh: "Refresh",
      refreshLabel: "Refresh the status of my requests",
      loading: "Loading\u2026",
      noRequests: "No request has been made in this browser tab yet.",
      requestsHint: "Requests made in this browser tab. They are forgotten when the tab is closed: keep the reference and check code.",
      madeOn: "Made on",
      updated: "Updated {time}",
      thread: "Messages about {id}",
      noMessages: "No message from the privacy desk yet.",
      fromDesk: "Privacy desk",
      fromYou: "You",
      answerDesk: "Answer the privacy desk",
      answerPlaceholder: "Write to the privacy desk\u2026",
      answerSend: "Send",
      answerSendLabel: "Send the message to the privacy desk about {id}",
      answerEmpty: "Please write a message first.",
      answerTooLong: "The message is too long: the limit is {limit} characters.",
      answerFailed: "The message could not be delivered{detail}.",
      statusFailed: "Could not load the status{detail}.",
      requestGone: "This request could not be found: the reference or check code is no longer valid.",
      draftTitle: "Confirm your request to {company}",
      draftTypes: "What you are asking for",
      draftProxy: "I am asking on behalf of someone else (as their proxy)",
      draftContact: "How the privacy desk can reply to you",
      draftContactHint: "An e-mail address or a postal address is enough.",
      optional: " (optional)",
      required: " (required)",
      draftNote: "Anything to add for the desk",
      draftConsent: "I agree that this request and my contact details go to {company}\u2019s privacy desk.",
      draftSubmit: "Submit the request",
      draftSubmitting: "Submitting\u2026",
      draftExpires: "This draft is kept until {time}.",
      draftExpired: "This draft has expired. To make the request, ask again in the chat.",
      draftDone: "This request was already submitted as {id}.",
      needConsent: "Please tick the box to agree first.",
      needType: "Choose at least one kind of request.",
      checkFields: "Please check the fields marked above.",
      submitFailed: "The request could not be submitted{detail}.",
      fieldName: "Name",
      fieldEmail: "E-mail address",
      fieldPostal: "Postal address",
      fieldPhone: "Telephone",
      recorded: "{company}\u2019s privacy desk has your request",
      requestKinds: "Request",
      nextSteps: "What happens next",
      keepReference: "The reference and check code let you check the status and answer the desk under My requests.",
      openRequests: "Status and messages",
      showFull: "Show the points in full",
      showShort: "One line per point",
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
      checkCode: "\u78ba\u8a8d\u30b3\u30fc\u30c9",
      sentTo: "\u2713 {company}\u306e\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u306b\u9001\u308a\u307e\u3057\u305f",
      alreadyWith: "\u2713 {company}\u306e\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u3067\u53d7\u4ed8\u6e08\u307f\u3067\u3059",
      keepCodes: "\u5f8c\u3067\u72b6\u6cc1\u3092\u78ba\u8a8d\u3059\u308b\u3068\u304d\u306e\u305f\u3081\u306b\u3001\u53d7\u4ed8\u756a\u53f7\u3068\u78ba\u8a8d\u30b3\u30fc\u30c9\u3092\u63a7\u3048\u3066\u304a\u3044\u3066\u304f\u3060\u3055\u3044\u3002",
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
      newTab: "\u65b0\u3057\u3044\u30bf\u30d6\u3067\u958b\u304d\u307e\u3059",
      myRequests: "\u7533\u8acb\u72b6\u6cc1",
      myRequestsLabel: "\u7533\u8acb\u72b6\u6cc1: \u72b6\u6cc1\u3068\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u304b\u3089\u306e\u30e1\u30c3\u30bb\u30fc\u30b8",
      backToChat: "\u2190 \u30c1\u30e3\u30c3\u30c8",
      backToChatLabel: "\u30c1\u30e3\u30c3\u30c8\u306b\u623b\u308b",
      refresh: "\u66f4\u65b0",
      refreshLabel: "\u7533\u8acb\u306e\u72b6\u6cc1\u3092\u66f4\u65b0",
      loading: "\u8aad\u307f\u8fbc\u3093\u3067\u3044\u307e\u3059\u2026",
      noRequests: "\u3053\u306e\u30bf\u30d6\u3067\u884c\u3063\u305f\u7533\u8acb\u306f\u307e\u3060\u3042\u308a\u307e\u305b\u3093\u3002",
      requestsHint: "\u3053\u306e\u30bf\u30d6\u3067\u884c\u3063\u305f\u7533\u8acb\u3067\u3059\u3002\u30bf\u30d6\u3092\u9589\u3058\u308b\u3068\u6d88\u3048\u308b\u305f\u3081\u3001\u53d7\u4ed8\u756a\u53f7\u3068\u78ba\u8a8d\u30b3\u30fc\u30c9\u3092\u63a7\u3048\u3066\u304a\u3044\u3066\u304f\u3060\u3055\u3044\u3002",
      madeOn: "\u7533\u8acb\u65e5",
      updated: "{time} \u6642\u70b9",
      thread: "{id} \u306b\u3064\u3044\u3066\u306e\u30e1\u30c3\u30bb\u30fc\u30b8",
      noMessages: "\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u304b\u3089\u306e\u30e1\u30c3\u30bb\u30fc\u30b8\u306f\u307e\u3060\u3042\u308a\u307e\u305b\u3093\u3002",
      fromDesk: "\u500b\u4eba\u60c5\u5831\u7a93\u53e3",
      fromYou: "\u3042\u306a\u305f",
      answerDesk: "\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u306b\u8fd4\u4fe1",
      answerPlaceholder: "\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u3078\u306e\u30e1\u30c3\u30bb\u30fc\u30b8\u2026",
      answerSend: "\u9001\u4fe1",
      answerSendLabel: "{id} \u306b\u3064\u3044\u3066\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u306b\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u9001\u4fe1",
      answerEmpty: "\u5148\u306b\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u5165\u529b\u3057\u3066\u304f\u3060\u3055\u3044\u3002",
      answerTooLong: "\u30e1\u30c3\u30bb\u30fc\u30b8\u304c\u9577\u3059\u304e\u307e\u3059\u3002\u4e0a\u9650\u306f {limit} \u6587\u5b57\u3067\u3059\u3002",
      answerFailed: "\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u5c4a\u3051\u3089\u308c\u307e\u305b\u3093\u3067\u3057\u305f{detail}\u3002",
      statusFailed: "\u72b6\u6cc1\u3092\u8aad\u307f\u8fbc\u3081\u307e\u305b\u3093\u3067\u3057\u305f{detail}\u3002",
      requestGone: "\u3053\u306e\u7533\u8acb\u306f\u898b\u3064\u304b\u308a\u307e\u305b\u3093\u3067\u3057\u305f\u3002\u53d7\u4ed8\u756a\u53f7\u307e\u305f\u306f\u78ba\u8a8d\u30b3\u30fc\u30c9\u304c\u7121\u52b9\u306b\u306a\u3063\u3066\u3044\u307e\u3059\u3002",
      draftTitle: "{company}\u3078\u306e\u7533\u8acb\u5185\u5bb9\u306e\u78ba\u8a8d",
      draftTypes: "\u7533\u8acb\u306e\u7a2e\u985e",
      draftProxy: "\u672c\u4eba\u306b\u4ee3\u308f\u3063\u3066\u4ee3\u7406\u4eba\u3068\u3057\u3066\u7533\u8acb\u3057\u307e\u3059",
      draftContact: "\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u304b\u3089\u306e\u9023\u7d61\u5148",
      draftContactHint: "\u30e1\u30fc\u30eb\u30a2\u30c9\u30ec\u30b9\u304b\u90f5\u9001\u5148\u306e\u4f4f\u6240\u306e\u3069\u3061\u3089\u304b\u304c\u3042\u308c\u3070\u5341\u5206\u3067\u3059\u3002",
      optional: "\uff08\u4efb\u610f\uff09",
      required: "\uff08\u5fc5\u9808\uff09",
      draftNote: "\u7a93\u53e3\u3078\u306e\u3054\u9023\u7d61\u4e8b\u9805",
      draftConsent: "\u3053\u306e\u7533\u8acb\u5185\u5bb9\u3068\u9023\u7d61\u5148\u304c{company}\u306e\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u306b\u6e21\u308b\u3053\u3068\u306b\u540c\u610f\u3057\u307e\u3059\u3002",
      draftSubmit: "\u3053\u306e\u5185\u5bb9\u3067\u7533\u8acb\u3059\u308b",
      draftSubmitting: "\u7533\u8acb\u3057\u3066\u3044\u307e\u3059\u2026",
      draftExpires: "\u3053\u306e\u4e0b\u66f8\u304d\u306f{time}\u307e\u3067\u4fdd\u5b58\u3055\u308c\u307e\u3059\u3002",
      draftExpired: "\u3053\u306e\u4e0b\u66f8\u304d\u306f\u6709\u52b9\u671f\u9650\u304c\u5207\u308c\u307e\u3057\u305f\u3002\u7533\u8acb\u3059\u308b\u306b\u306f\u3001\u30c1\u30e3\u30c3\u30c8\u3067\u3082\u3046\u4e00\u5ea6\u3054\u4f9d\u983c\u304f\u3060\u3055\u3044\u3002",
      draftDone: "\u3053\u306e\u7533\u8acb\u306f {id} \u3068\u3057\u3066\u7533\u8acb\u6e08\u307f\u3067\u3059\u3002",
      needConsent: "\u5148\u306b\u540c\u610f\u306e\u30c1\u30a7\u30c3\u30af\u30dc\u30c3\u30af\u30b9\u306b\u30c1\u30a7\u30c3\u30af\u3092\u5165\u308c\u3066\u304f\u3060\u3055\u3044\u3002",
      needType: "\u7533\u8acb\u306e\u7a2e\u985e\u30921\u3064\u4ee5\u4e0a\u9078\u3093\u3067\u304f\u3060\u3055\u3044\u3002",
      checkFields: "\u4e0a\u8a18\u306e\u9805\u76ee\u3092\u3054\u78ba\u8a8d\u304f\u3060\u3055\u3044\u3002",
      submitFailed: "\u7533\u8acb\u3067\u304d\u307e\u305b\u3093\u3067\u3057\u305f{detail}\u3002",
      fieldName: "\u304a\u540d\u524d",
      fieldEmail: "\u30e1\u30fc\u30eb\u30a2\u30c9\u30ec\u30b9",
      fieldPostal: "\u90f5\u9001\u5148\u306e\u4f4f\u6240",
      fieldPhone: "\u96fb\u8a71\u756a\u53f7",
      recorded: "{company}\u306e\u500b\u4eba\u60c5\u5831\u7a93\u53e3\u306b\u7533\u8acb\u5185\u5bb9\u304c\u5c4a\u304d\u307e\u3057\u305f",
      requestKinds: "\u7533\u8acb\u306e\u7a2e\u985e",
      nextSteps: "\u4eca\u5f8c\u306e\u624b\u7d9a\u304d",
      keepReference: "\u53d7\u4ed8\u756a\u53f7\u3068\u78ba\u8a8d\u30b3\u30fc\u30c9\u3067\u3001\u300c\u7533\u8acb\u72b6\u6cc1\u300d\u304b\u3089\u72b6\u6cc1\u3092\u78ba\u8a8d\u3057\u3001\u7a93\u53e3\u306b\u8fd4\u4fe1\u3067\u304d\u307e\u3059\u3002",
      openRequests: "\u72b6\u6cc1\u3068\u30e1\u30c3\u30bb\u30fc\u30b8",
      showFull: "\u5404\u9805\u76ee\u3092\u5168\u6587\u3067\u8868\u793a",
      showShort: "\u5404\u9805\u76ee\u30921\u884c\u3067\u8868\u793a",
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

  // Ticket statuses and request types are named as the assistant's replies and the staff console name them:
  // GET /v1/meta's labels in the widget's language (assistant/answering/messages.py). Until meta has answered, or
  // if it fails, each is shown as its code with spaces; renameFromMeta() puts the names in once they come.
  var STATUS_NAMES = {};
  var TYPE_NAMES = {};
  function named(names, code) {
    return Object.prototype.hasOwnProperty.call(names, code) ? names[code] : String(code).replace(/_/g, " ");
  }

  function statusLabel(status) {
    return named(STATUS_NAMES, status);
  }

  function requestTypeLabel(type) {
    return named(TYPE_NAMES, type);
  }

  // Japanese lists them with U+3001 as the console does: a name may itself hold a U+30FB (correction).
  function requestTypeList(types) {
    return types.map(requestTypeLabel).join(LANG === "ja" ? "\u3001" : ", ");
  }

  // Sent on every request, so the server's error texts come back in the widget's language.
  function withLanguage(headers) {
    var out = { "Accept-Language": LANG };
    for (var k in headers || {}) out[k] = headers[k];
    return out;
  }

  // ---------------------------------------------------------------- state (sessionStorage)
  function freshState() {
    // submitted: draft id -> what POST /v1/requests answered (the token stays in REQUESTS_KEY).
    return { sessionId: null, company: FIXED_COMPANY, pending: null, open: false, transcript: [], submitted: {} };
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

  function loadRequests() {
    try {
      var list = JSON.parse(window.sessionStorage.getItem(REQUESTS_KEY) || "[]");
      if (!Array.isArray(list)) return [];
      return list.filter(function (r) { return r && typeof r.reference === "string" && typeof r.lookup_token === "string"; });
    } catch (e) {
      return [];
    }
  }

  // This widget's requests: a company's widget shows that company's only (its site could not read the others anyway).
  function myRequests() {
    return requests.filter(function (r) { return !FIXED_COMPANY || r.company === FIXED_COMPANY; });
  }

  function rememberRequest(created) {
    requests = requests.filter(function (r) { return r.reference !== created.reference; });
    requests.push({ reference: created.reference, lookup_token: created.lookup_token, company: created.company });
    try { window.sessionStorage.setItem(REQUESTS_KEY, JSON.stringify(requests)); } catch (e) { /* blocked: this page only */ }
  }

  function tokenFor(reference) {
    var found = requests.filter(function (r) { return r.reference === reference; })[0];
    return found ? found.lookup_token : null;
  }

  var requests = loadRequests();
  var state = loadState();
  if (!state.submitted || typeof state.submitted !== "object") state.submitted = {};
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
    ".msg .text a{color:#0b57a4;text-decoration:underline;overflow-wrap:anywhere}",
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
    // A desk reply: each procedure point on one line (the quotes are behind the chips), the whole text a click away.
    ".text.lines{white-space:normal}",
    ".text.lines .line{display:block;white-space:pre-wrap}",
    ".text.lines .point{display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".text.lines.full .point{white-space:pre-wrap;overflow:visible}",
    ".linkbtn{border:0;background:none;padding:0;margin-top:4px;color:#0b57a4;text-decoration:underline;cursor:pointer;font-size:13px}",
    // The request draft form and what a submission gave.
    ".draft{display:block;margin-top:10px;padding:10px 12px;background:#fff;border:1px solid #b6c2cf;border-radius:10px;white-space:normal}",
    ".draft h3{margin:0 0 6px;font-size:15px}",
    ".draft fieldset{margin:0 0 8px;padding:0;border:0;min-width:0}",
    ".draft legend{padding:0;margin:0 0 2px;font-size:13px;font-weight:700}",
    ".draft .check{display:flex;gap:6px;align-items:flex-start;font-size:14px;margin:2px 0}",
    ".draft .check input{margin-top:4px;flex:none}",
    ".draft .hint{margin:0 0 4px;font-size:12px;color:#57606a}",
    ".draft .field{display:block;margin:0 0 6px}",
    ".draft .field span{display:block;font-size:13px}",
    ".draft input[type=text],.draft input[type=email],.draft input[type=tel],.draft textarea{display:block;width:100%;min-height:0;max-height:none;",
    "  padding:6px 8px;border:1px solid #b6c2cf;border-radius:6px;background:#fff;font-size:14px}",
    ".draft textarea{resize:vertical;min-height:52px}",
    ".draft [aria-invalid=true]{border-color:#c62828;outline-color:#c62828}",
    ".ferr{margin:2px 0 0;font-size:12px;color:#8a1c12}",
    ".ferr[hidden],.draft .ferr[hidden],.formerr[hidden]{display:none}",
    ".formerr{margin:6px 0;padding:6px 8px;background:#fff1f0;border:1px solid #f5b5b0;color:#8a1c12;border-radius:6px;font-size:13px}",
    ".primary{border:0;border-radius:8px;background:#0b57a4;color:#fff;font-weight:600;padding:7px 14px;cursor:pointer}",
    ".primary:disabled{background:#8aa9c9;cursor:default}",
    ".draft .when{margin:6px 0 0;font-size:12px;color:#57606a}",
    ".ticket.submitted{background:#f3f7fc;border-color:#9dbbe0}",
    ".ticket.submitted .t{color:#0b3d73}",
    ".ticket h4{margin:8px 0 2px;font-size:13px}",
    ".ticket .next{margin:0;white-space:pre-wrap;font-size:14px}",
    ".ticket .next a{color:#0b57a4}",
    ".ticket .primary{margin-top:8px;font-size:13px;padding:5px 12px}",
    // My requests: the status view that takes the chat's place.
    ".reqs{flex:1;overflow-y:auto;padding:12px 14px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}",
    ".reqs[hidden],.log[hidden]{display:none}",
    ".reqbar{display:flex;align-items:center;gap:8px}",
    ".reqbar h3{flex:1;margin:0;font-size:16px}",
    ".reqbar button{border:1px solid #0b57a4;background:#fff;color:#0b57a4;border-radius:8px;padding:4px 10px;cursor:pointer;font-size:13px}",
    ".reqbar button:disabled{opacity:.5;cursor:default}",
    ".reqs .hint,.reqs .empty,.reqs .when{margin:0;font-size:12px;color:#57606a}",
    ".reqlist{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:10px}",
    ".req{padding:10px 12px;border:1px solid #d0d7de;border-radius:10px;background:#fff}",
    ".req h4{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:15px}",
    ".req h4 .co{font-family:inherit;font-weight:400;font-size:13px;color:#57606a}",
    ".req dl{margin:4px 0;display:grid;grid-template-columns:auto 1fr;gap:2px 10px;font-size:14px}",
    ".req dt{color:#57606a}",
    ".req dd{margin:0;font-weight:600}",
    ".thread{list-style:none;margin:6px 0;padding:0;display:flex;flex-direction:column;gap:6px}",
    ".thread li{padding:6px 9px;border-radius:8px;max-width:92%;white-space:pre-wrap;overflow-wrap:anywhere;font-size:14px}",
    ".thread li.desk{align-self:flex-start;background:#f1f3f5;border-left:3px solid #0b57a4}",
    ".thread li.customer{align-self:flex-end;background:#e8f0fb}",
    ".thread .who{display:block;font-size:12px;color:#57606a;white-space:normal}",
    ".thread a{color:#0b57a4}",
    ".answer{display:flex;gap:6px;align-items:flex-end;padding:0;border:0}",
    ".answer textarea{min-height:40px;font-size:14px;padding:6px 8px}",
    ".answer .primary{height:40px}",
    ".hbtn:disabled{opacity:.5;cursor:default}",
    ".hbtn[aria-expanded=true]{background:rgba(255,255,255,.25)}",
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
  var reqBtn = el("button", {
    className: "hbtn reqs-open", type: "button", "aria-label": t("myRequestsLabel"), "aria-controls": "pa-reqs",
    "aria-expanded": "false", text: t("myRequests"), hidden: true,
  });
  var header = el("header", null, [el("div", { className: "titles" }, [title, subtitle]), reqBtn, clearBtn, closeBtn]);

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

  // My requests: takes the place of the conversation while open.
  var reqTitle = el("h3", { id: "pa-reqs-title", tabindex: "-1", text: t("myRequests") });
  var reqBack = el("button", { className: "back", type: "button", "aria-label": t("backToChatLabel"), text: t("backToChat") });
  var reqRefresh = el("button", { className: "refresh", type: "button", "aria-label": t("refreshLabel"), text: t("refresh") });
  var reqState = el("p", { className: "when", role: "status" });
  var reqList = el("ul", { className: "reqlist", "aria-labelledby": "pa-reqs-title" });
  var reqView = el("section", { id: "pa-reqs", className: "reqs", "aria-labelledby": "pa-reqs-title", hidden: true }, [
    el("div", { className: "reqbar" }, [reqBack, reqTitle, reqRefresh]),
    el("p", { className: "hint", text: t("requestsHint") }),
    reqState, reqList,
  ]);

  var panel = el("section", {
    id: "pa-panel", className: "panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "pa-title", "aria-describedby": "pa-notice", hidden: true,
  }, [header, notice, log, reqView, errorBox, form]);

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
    var labels = chipLabels(reply);
    reply.citations.forEach(function (cite) {
      var chip = el("button", {
        className: "chip", type: "button", "aria-expanded": "false", "aria-controls": detail.id,
        "aria-label": t("source", { n: cite.id, section: labels[cite.id] || cite.section || t("clause") }),
        title: cite.section || "",
      }, [el("span", { className: "n", text: String(cite.id), "aria-hidden": "true" }),
          el("span", { className: "s", text: labels[cite.id], "aria-hidden": "true" })]);
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

  // "- Fee: [3] ..." / "- \u624b\u6570\u6599\uff1a..." : a procedure point of a desk reply, and its name.
  var POINT_LINE = /^\s*[-\u2022\u30fb]\s*([^:\uff1a\n]{1,80}?)\s*[:\uff1a]/;

  function capitalized(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // A point of request_draft.procedure: its readable name, and the citation ids of the quotes it rests on.
  function pointName(point) {
    var name = point && (point.name || point.label || point.title);
    return typeof name === "string" && name.trim() ? capitalized(name.trim()) : "";
  }

  function pointCitations(point) {
    var ids = (point && (point.citations || point.citation_ids || point.cites)) || [];
    return (Array.isArray(ids) ? ids : []).map(function (c) { return String(c && typeof c === "object" ? c.id : c); });
  }

  // Each chip's label, by citation id, no two alike. A desk reply's quote is named by the procedure point it backs
  // (the draft's procedure, else the answer's point line holding its [n]); any other by its section. Chips that would
  // still share a label get their section, then their place among them.
  function chipLabels(reply) {
    var labels = {};
    var draft = reply.request_draft;
    (draft && Array.isArray(draft.procedure) ? draft.procedure : []).forEach(function (point) {
      var name = pointName(point);
      pointCitations(point).forEach(function (id) { if (name && !labels[id]) labels[id] = name; });
    });
    if (reply.route === "desk") {
      String(reply.answer || "").split("\n").forEach(function (line) {
        var m = POINT_LINE.exec(line);
        if (!m) return;
        (line.match(/\[\d+\]/g) || []).forEach(function (marker) {
          var id = marker.slice(1, -1);
          if (!labels[id]) labels[id] = capitalized(m[1].trim());
        });
      });
    }
    var cites = reply.citations;
    cites.forEach(function (c) { if (!labels[c.id]) labels[c.id] = shortSection(c.section); });
    var groups = {};
    cites.forEach(function (c) { (groups[labels[c.id]] = groups[labels[c.id]] || []).push(c); });
    Object.keys(groups).forEach(function (label) {
      var group = groups[label];
      if (group.length < 2) return;
      var withSection = group.map(function (c) { var s = shortSection(c.section); return s === label ? label : label + " \u203a " + s; });
      var distinct = withSection.filter(function (v, i) { return withSection.indexOf(v) === i; }).length === group.length;
      group.forEach(function (c, i) {
        labels[c.id] = distinct ? withSection[i] : label + " (" + (i + 1) + "/" + group.length + ")";
      });
    });
    return labels;
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

  // A status, marked with its code so that renameFromMeta() can name it again where it stands.
  function statusCell(status) {
    return el("dd", { className: "status", text: statusLabel(status), "data-status": status });
  }

  function ticketCard(reply) {
    var ticket = reply.ticket;
    var dl = el("dl");
    function row(label, value, cls) {
      dl.appendChild(el("dt", { text: label }));
      dl.appendChild(el("dd", { className: cls || null, text: value }));
    }
    row(t("reference"), ticket.id, "ref");
    dl.appendChild(el("dt", { text: t("status") }));
    dl.appendChild(statusCell(ticket.status));
    // No "reply due by": due_at is the desk's internal target, not a deadline the policy states.
    if (ticket.lookup_token) row(t("checkCode"), ticket.lookup_token, "ref");
    var lead = t(ticket.duplicate ? "alreadyWith" : "sentTo", { company: companyLabel(ticket.company) });
    return el("div", { className: "ticket", role: "group", "aria-label": t("request", { id: ticket.id }) }, [
      el("p", { className: "t", text: lead }),
      dl,
      ticket.lookup_token ? el("p", { className: "hint", text: t("keepCodes") }) : null,
    ]);
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

  // An http(s) URL: ASCII only, so a Japanese sentence or bracket right after it is not taken in; no lookbehind
  // needed, the character before is checked in linkified().
  var URL_PATTERN = /https?:\/\/[A-Za-z0-9\-._~:\/?#\[\]@!$&'()*+,;=%]+/gi;

  // Trailing sentence punctuation is not part of a URL, nor a closing bracket the URL did not open.
  function trimUrl(url) {
    for (;;) {
      var last = url.charAt(url.length - 1);
      if (/[.,;:!?'*]/.test(last)) url = url.slice(0, -1);
      else if (last === ")" && (url.match(/\(/g) || []).length < (url.match(/\)/g) || []).length) url = url.slice(0, -1);
      else if (last === "]" && (url.match(/\[/g) || []).length < (url.match(/\]/g) || []).length) url = url.slice(0, -1);
      else return url;
    }
  }

  // `text` as text nodes and <a> elements for its http(s) URLs; textContent stays exactly `text`.
  function linkified(text) {
    var frag = document.createDocumentFragment();
    var at = 0;
    var m;
    text = String(text);
    URL_PATTERN.lastIndex = 0;
    while ((m = URL_PATTERN.exec(text)) !== null) {
      var start = m.index;
      var url = trimUrl(m[0]);
      URL_PATTERN.lastIndex = start + Math.max(url.length, 1);
      // Inside a word ("xhttp://...") it is not a URL of its own.
      if (start > 0 && /[A-Za-z0-9]/.test(text.charAt(start - 1))) continue;
      var href = null;
      try {
        var parsed = new URL(url);
        if ((parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.hostname) href = parsed.href;
      } catch (e) { /* not a URL after all: stays text */ }
      if (!href) continue;
      if (start > at) frag.appendChild(document.createTextNode(text.slice(at, start)));
      frag.appendChild(el("a", { href: href, target: "_blank", rel: "noopener noreferrer", className: "answer-link", title: t("newTab"), text: url }));
      at = start + url.length;
    }
    if (at < text.length) frag.appendChild(document.createTextNode(text.slice(at)));
    return frag;
  }

  // A desk reply's text with each procedure point on one line (the quotes are behind the chips); a button shows it all.
  // textContent stays exactly the answer.
  function deskText(answer) {
    var lines = String(answer).split("\n");
    if (!lines.some(function (l) { return POINT_LINE.test(l); })) return null;
    var p = el("p", { className: "text lines", id: nextId("text") });
    lines.forEach(function (line, i) {
      if (i) p.appendChild(document.createTextNode("\n"));
      var point = POINT_LINE.test(line);
      p.appendChild(el("span", { className: point ? "point" : "line", title: point ? line : null }, [linkified(line)]));
    });
    var toggle = el("button", { className: "linkbtn", type: "button", "aria-expanded": "false", "aria-controls": p.id, text: t("showFull") });
    toggle.addEventListener("click", function () {
      var full = p.classList.toggle("full");
      toggle.setAttribute("aria-expanded", full ? "true" : "false");
      toggle.textContent = t(full ? "showShort" : "showFull");
    });
    return [p, toggle];
  }

  function botBubble(reply, active) {
    var bubble = el("div", { className: "msg bot " + reply.route });
    bubble.appendChild(el("span", { className: "sr-only", text: t("assistant") }));
    var desk = reply.route === "desk" ? deskText(reply.answer) : null;
    if (desk) desk.forEach(function (n) { bubble.appendChild(n); });
    else bubble.appendChild(el("p", { className: "text" }, [linkified(reply.answer)]));
    if (reply.route === "desk" && reply.ticket) bubble.appendChild(ticketCard(reply));
    if (reply.route === "clarify") bubble.appendChild(clarifyChoices(active));
    citationChips(reply).forEach(function (n) { bubble.appendChild(n); });
    if (reply.request_draft && reply.request_draft.id) bubble.appendChild(draftBlock(reply));
    return bubble;
  }

  // ---------------------------------------------------------------- the request draft (POST /v1/requests)
  var FIELD_KINDS = {
    name: { label: "fieldName", type: "text", autocomplete: "name" },
    email: { label: "fieldEmail", type: "email", autocomplete: "email" },
    postal_address: { label: "fieldPostal", type: "textarea", autocomplete: "street-address" },
    phone: { label: "fieldPhone", type: "tel", autocomplete: "tel" },
  };

  function expired(draft) {
    var at = draft.expires_at ? new Date(draft.expires_at).getTime() : NaN;
    return !isNaN(at) && at <= Date.now();
  }

  function draftBlock(reply) {
    var draft = reply.request_draft;
    var done = state.submitted[draft.id];
    if (done) return resultCard(done);
    // The server's answer to a repeat of a request already submitted (from another tab, say).
    var known = draft.reference || draft.submitted_reference;
    if (known) return el("p", { className: "draft", text: t("draftDone", { id: known }) });
    if (expired(draft)) return el("p", { className: "draft", text: t("draftExpired") });
    return draftForm(reply, draft);
  }

  // One labelled input with its error line under it; `errors` maps the field's name to both.
  function fieldRow(spec, errors) {
    var kind = FIELD_KINDS[spec.name] || { type: "text" };
    var id = nextId("f");
    var err = el("p", { className: "ferr", id: id + "-err", hidden: true });
    // The draft's own label (in the reply's words), else the widget's; only a required field is marked.
    var label = String(spec.label || (kind.label && t(kind.label)) || spec.name);
    var attrs = {
      id: id, name: spec.name, autocomplete: kind.autocomplete || "off", required: !!spec.required,
      "aria-required": spec.required ? "true" : null, "aria-describedby": err.id,
    };
    if (kind.type === "textarea") attrs.rows = "2";
    else attrs.type = kind.type;
    var input = el(kind.type === "textarea" ? "textarea" : "input", attrs);
    errors[spec.name] = { input: input, err: err };
    return el("label", { className: "field", "for": id }, [
      el("span", { text: spec.required ? label + t("required") : label }), input, err,
    ]);
  }

  function draftForm(reply, draft) {
    var who = companyLabel(draft.company || state.company || "");
    var titleId = nextId("draft");
    var errors = {}; // field -> {input, err}; "contact" and "form" are the groups' own lines
    function errLine(key) {
      var line = el("p", { className: "ferr", id: nextId("err"), hidden: true });
      errors[key] = { input: null, err: line };
      return line;
    }

    var types = el("fieldset", { className: "types" }, [el("legend", { text: t("draftTypes") })]);
    var typeBoxes = (draft.request_types || []).map(function (type) {
      var box = el("input", { type: "checkbox", name: "request_types", value: type, checked: true });
      // A choice on its own line: its name begins with a capital (the replies write it within a sentence).
      var name = el("span", { text: capitalized(requestTypeLabel(type)), "data-request-type": type });
      types.appendChild(el("label", { className: "check" }, [box, name]));
      return box;
    });
    types.appendChild(errLine("request_types"));
    errors.request_types.input = typeBoxes[0] || null;

    var proxy = el("input", { type: "checkbox", name: "proxy", checked: !!draft.proxy });
    var proxyRow = el("label", { className: "check" }, [proxy, el("span", { text: t("draftProxy") })]);

    var contact = el("fieldset", { className: "contact" }, [
      el("legend", { text: t("draftContact") }),
      el("p", { className: "hint", text: t("draftContactHint") }),
    ]);
    var contactErr = errLine("contact");
    // Field names are the contact's keys ("email", or "contact.email"); "consent" is the box at the end, whatever
    // the draft says, with the draft's label for it when it has one.
    var given = Array.isArray(draft.fields) && draft.fields.length ? draft.fields
      : [{ name: "name", required: false }, { name: "email", required: false }, { name: "postal_address", required: false }];
    var consentSpec = null;
    var fields = [];
    given.forEach(function (spec) {
      if (!spec || typeof spec.name !== "string" || !spec.name) return;
      var name = spec.name.replace(/^contact\./, "");
      if (name === "consent") consentSpec = spec;
      else fields.push({ name: name, required: !!spec.required, label: spec.label });
    });
    fields.forEach(function (spec) { contact.appendChild(fieldRow(spec, errors)); });
    contact.appendChild(contactErr);
    errors.contact.input = (errors.email || errors.postal_address || {}).input || null;

    var noteId = nextId("f");
    var note = el("textarea", { id: noteId, name: "note", rows: "2", maxlength: String(MAX_NOTE) });
    var noteRow = el("label", { className: "field", "for": noteId }, [el("span", { text: t("draftNote") + t("optional") }), note, errLine("note")]);
    errors.note.input = note;

    var consent = el("input", { type: "checkbox", name: "consent", required: true, "aria-required": "true" });
    var consentText = consentSpec && consentSpec.label ? String(consentSpec.label) : t("draftConsent", { company: who });
    var consentRow = el("label", { className: "check" }, [consent, el("span", { text: consentText })]);
    var consentErr = errLine("consent");
    errors.consent.input = consent;

    var formErr = el("p", { className: "formerr", role: "alert", hidden: true });
    var submit = el("button", { className: "primary", type: "submit", text: t("draftSubmit") });
    var box = el("form", { className: "draft", novalidate: true, "aria-labelledby": titleId, "data-draft": draft.id }, [
      el("h3", { id: titleId, text: t("draftTitle", { company: who }) }),
      types, proxyRow, contact, noteRow, consentRow, consentErr, formErr, submit,
      draft.expires_at ? el("p", { className: "when", text: t("draftExpires", { time: formatDateTime(draft.expires_at) }) }) : null,
    ]);
    var ctx = {
      reply: reply, draft: draft, form: box, errors: errors, formErr: formErr, submit: submit,
      typeBoxes: typeBoxes, proxy: proxy, note: note, consent: consent, fields: fields, posting: false,
    };
    box.addEventListener("submit", function (e) { e.preventDefault(); submitDraft(ctx); });
    return box;
  }

  function clearFieldErrors(ctx) {
    ctx.formErr.hidden = true;
    ctx.formErr.textContent = "";
    Object.keys(ctx.errors).forEach(function (key) {
      var e = ctx.errors[key];
      e.err.hidden = true;
      e.err.textContent = "";
      if (e.input) e.input.removeAttribute("aria-invalid");
    });
  }

  // Shows `text` by the field a 422 named ("contact.email", "request_types.0", "consent"...); true when it had a place.
  function showFieldError(ctx, field, text) {
    var path = String(field || "").replace(/^body\./, "").split(".").filter(function (p) { return !/^\d+$/.test(p); });
    var key = path[0] === "contact" && path.length > 1 ? path[1] : path[0];
    var target = key && ctx.errors[key];
    if (!target) return false;
    target.err.textContent = text ? capitalized(text) : "";
    target.err.hidden = !text;
    if (target.input) {
      target.input.setAttribute("aria-invalid", "true");
      var described = (target.input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(target.err.id) < 0) target.input.setAttribute("aria-describedby", described.concat(target.err.id).join(" "));
    }
    return true;
  }

  // A 422 body's `detail` as [{field, text}]: "field: reason" parts (joined by "; "), FastAPI's [{loc, msg}], or {field, ...}.
  function fieldErrors(body) {
    var detail = body && body.detail;
    if (body && typeof body.field === "string") {
      var own = String(detail || "");
      var prefix = body.field + ":";
      return [{ field: body.field, text: own.indexOf(prefix) === 0 ? own.slice(prefix.length).trim() : own }];
    }
    if (Array.isArray(detail)) {
      return detail.map(function (e) {
        var loc = Array.isArray(e && e.loc) ? e.loc.filter(function (p) { return p !== "body"; }).join(".") : "";
        return { field: loc, text: String((e && (e.msg || e.message)) || "") };
      });
    }
    if (detail && typeof detail === "object") return [{ field: String(detail.field || ""), text: String(detail.message || detail.msg || "") }];
    return String(detail || "").split(/;\s+|\uff1b/).filter(Boolean).map(function (part) {
      var m = /^\s*([A-Za-z_][\w.]*)\s*[:\uff1a]\s*([\s\S]*)$/.exec(part);
      return m ? { field: m[1], text: m[2].trim() } : { field: "", text: part.trim() };
    });
  }

  function focusFirstInvalid(ctx) {
    var bad = ctx.form.querySelector("[aria-invalid=true]");
    if (bad) bad.focus();
    else if (!ctx.formErr.hidden) ctx.formErr.scrollIntoView({ block: "nearest" });
  }

  function submitError(err) {
    if (err instanceof HttpError) {
      var d = { detail: err.detail ? t("detail", { detail: String(err.detail).replace(/\u3002$/, "") }) : "" };
      if (err.status === 429) return err.detail ? t("submitFailed", d) : t("tooMany");
      if (err.status === 503) return t("unavailable");
      if (err.status >= 500) return t("serverError");
      return t("submitFailed", d);
    }
    if (err && err.name === "AbortError") return t("timeout");
    return t("offline");
  }

  async function readBody(resp) {
    try { return await resp.json(); } catch (e) { return null; }
  }

  async function submitDraft(ctx) {
    if (ctx.posting) return; // one POST per draft at a time (the endpoint is idempotent per draft anyway)
    clearFieldErrors(ctx);
    var types = ctx.typeBoxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    var local = false;
    if (ctx.typeBoxes.length && !types.length) local = showFieldError(ctx, "request_types", t("needType")) || local;
    if (!ctx.consent.checked) local = showFieldError(ctx, "consent", t("needConsent")) || local;
    if (local) {
      focusFirstInvalid(ctx);
      return;
    }
    var contact = {};
    ctx.fields.forEach(function (spec) {
      var e = spec && ctx.errors[spec.name];
      var value = e && e.input ? e.input.value.trim() : "";
      if (value) contact[spec.name] = value;
    });
    var body = {
      draft_id: ctx.draft.id, session_id: ctx.reply.session_id || state.sessionId, contact: contact,
      request_types: ctx.typeBoxes.length ? types : (ctx.draft.request_types || []), proxy: ctx.proxy.checked,
      note: ctx.note.value.trim() || null, consent: true,
    };
    ctx.posting = true;
    ctx.submit.disabled = true;
    ctx.submit.textContent = t("draftSubmitting");
    ctx.form.setAttribute("aria-busy", "true");
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    try {
      var resp = await fetch(API + "/v1/requests", {
        method: "POST", headers: withLanguage({ "Content-Type": "application/json" }), body: JSON.stringify(body),
        signal: controller ? controller.signal : undefined, credentials: "omit",
      });
      if (resp.status === 422) {
        var placed = false;
        var loose = [];
        fieldErrors(await readBody(resp)).forEach(function (e) {
          if (showFieldError(ctx, e.field, e.text)) placed = true;
          else if (e.text) loose.push(e.text);
        });
        ctx.formErr.textContent = loose.length ? t("submitFailed", { detail: t("detail", { detail: loose.join("; ") }) }) : t("checkFields");
        ctx.formErr.hidden = false;
        if (placed || loose.length) focusFirstInvalid(ctx);
        return;
      }
      if (!resp.ok) throw new HttpError(resp.status, await readDetail(resp));
      var created = await resp.json();
      rememberRequest(created);
      var done = {
        reference: created.reference, status: created.status, company: created.company || ctx.draft.company,
        request_types: created.request_types || types, next_steps: created.next_steps || "",
      };
      state.submitted[ctx.draft.id] = done;
      saveState();
      var card = resultCard(done);
      ctx.form.replaceWith(card);
      renderRequestsButton();
      var lead = card.querySelector(".t");
      if (lead) lead.focus();
    } catch (err) {
      ctx.formErr.textContent = submitError(err);
      ctx.formErr.hidden = false;
    } finally {
      if (timer) clearTimeout(timer);
      ctx.posting = false;
      ctx.submit.disabled = false;
      ctx.submit.textContent = t("draftSubmit");
      ctx.form.removeAttribute("aria-busy");
    }
  }

  // What a submission gave: the reference, its status and the company's own next steps, verbatim. Not "sent":
  // next_steps says whether the formal request still has to be made the policy's way.
  function resultCard(done) {
    var dl = el("dl");
    function row(label, value, cls) {
      dl.appendChild(el("dt", { text: label }));
      dl.appendChild(el("dd", { className: cls || null, text: value }));
    }
    var token = tokenFor(done.reference);
    row(t("reference"), done.reference, "ref");
    dl.appendChild(el("dt", { text: t("status") }));
    dl.appendChild(statusCell(done.status));
    if (done.request_types && done.request_types.length) {
      row(t("requestKinds"), requestTypeList(done.request_types), "kinds");
      dl.lastChild.setAttribute("data-request-types", done.request_types.join(" "));
    }
    if (token) row(t("checkCode"), token, "ref token");
    return el("div", { className: "ticket submitted", role: "group", "aria-label": t("request", { id: done.reference }) }, [
      el("p", { className: "t", tabindex: "-1", text: t("recorded", { company: companyLabel(done.company) }) }),
      dl,
      done.next_steps ? el("h4", { text: t("nextSteps") }) : null,
      done.next_steps ? el("p", { className: "next" }, [linkified(done.next_steps)]) : null,
      token ? el("p", { className: "hint", text: t("keepReference") }) : null,
      el("button", { className: "primary", type: "button", text: t("openRequests"), onclick: function () { openRequests(); } }),
    ]);
  }

  // ---------------------------------------------------------------- My requests (GET /v1/requests/{reference}?token=)
  var reqTimer = null;
  var reqLoading = false;

  function renderRequestsButton() {
    reqBtn.hidden = !!configError || !myRequests().length;
  }

  function requestUrl(r, suffix) {
    return API + "/v1/requests/" + encodeURIComponent(r.reference) + (suffix || "") + "?token=" + encodeURIComponent(r.lookup_token);
  }

  function openRequests() {
    hideError();
    log.hidden = true;
    form.hidden = true;
    reqView.hidden = false;
    reqBtn.setAttribute("aria-expanded", "true");
    reqTitle.focus();
    refreshRequests();
    if (reqTimer) clearInterval(reqTimer);
    reqTimer = setInterval(function () { if (!document.hidden && !panel.hidden) refreshRequests(); }, REFRESH_MS);
  }

  function closeRequests(focusInput) {
    if (reqTimer) clearInterval(reqTimer);
    reqTimer = null;
    reqView.hidden = true;
    reqBtn.setAttribute("aria-expanded", "false");
    log.hidden = false;
    form.hidden = !!configError;
    if (focusInput !== false) input.focus();
  }

  async function fetchStatus(r) {
    var resp = await fetch(requestUrl(r), { credentials: "omit", cache: "no-store", headers: withLanguage() });
    if (!resp.ok) throw new HttpError(resp.status, await readDetail(resp));
    return resp.json();
  }

  // Every request of this tab, each with its status and messages (in parallel); one failing does not hide the others.
  async function refreshRequests() {
    if (reqLoading) return;
    var list = myRequests();
    reqLoading = true;
    reqRefresh.disabled = true;
    reqList.setAttribute("aria-busy", "true");
    reqState.textContent = t("loading");
    try {
      var results = await Promise.all(list.map(function (r) {
        return fetchStatus(r).then(function (s) { return { status: s }; }, function (err) { return { error: err }; });
      }));
      reqList.textContent = "";
      if (!list.length) reqList.appendChild(el("li", { className: "empty", text: t("noRequests") }));
      list.forEach(function (r, i) { reqList.appendChild(requestItem(r, results[i])); });
      reqState.textContent = t("updated", { time: formatTime(new Date()) });
    } finally {
      reqLoading = false;
      reqRefresh.disabled = false;
      reqList.setAttribute("aria-busy", "false");
    }
  }

  function requestItem(r, result) {
    var item = el("li", { className: "req", "data-reference": r.reference });
    item.appendChild(el("h4", null, [
      document.createTextNode(r.reference + " "),
      r.company ? el("span", { className: "co", text: "\u00b7 " + companyLabel(r.company) }) : null,
    ]));
    if (result.error) {
      var gone = result.error instanceof HttpError && result.error.status === 404;
      item.appendChild(el("p", { className: "ferr", role: "alert", text: gone ? t("requestGone") : statusError(result.error) }));
      return item;
    }
    var s = result.status || {};
    var dl = el("dl", null, [
      el("dt", { text: t("status") }), statusCell(s.status),
    ]);
    if (s.created_at) {
      dl.appendChild(el("dt", { text: t("madeOn") }));
      dl.appendChild(el("dd", { text: formatDate(s.created_at) }));
    }
    item.appendChild(dl);
    item.appendChild(thread(r, s.messages));
    if (!closedStatus(s.status)) item.appendChild(answerForm(r, item));
    return item;
  }

  function thread(r, messages) {
    var list = el("ol", { className: "thread", "aria-label": t("thread", { id: r.reference }) });
    (Array.isArray(messages) ? messages : []).forEach(function (m) {
      var desk = m.from === "desk";
      list.appendChild(el("li", { className: desk ? "desk" : "customer" }, [
        el("span", { className: "who", text: t(desk ? "fromDesk" : "fromYou") + (m.at ? " \u00b7 " + formatDateTime(m.at) : "") }),
        desk ? linkified(String(m.text || "")) : document.createTextNode(String(m.text || "")),
      ]));
    });
    if (!list.childNodes.length) list.appendChild(el("li", { className: "empty", text: t("noMessages") }));
    return list;
  }

  function answerForm(r, item) {
    var id = nextId("answer");
    var err = el("p", { className: "ferr", role: "alert", hidden: true });
    var box = el("textarea", {
      id: id, rows: "2", maxlength: String(MAX_NOTE), "aria-label": t("answerDesk"), placeholder: t("answerPlaceholder"),
    });
    var send = el("button", { className: "primary", type: "submit", "aria-label": t("answerSendLabel", { id: r.reference }), text: t("answerSend") });
    var f = el("form", { className: "answer", novalidate: true, "aria-label": t("answerDesk") }, [box, send]);
    var posting = false;
    f.addEventListener("submit", async function (e) {
      e.preventDefault();
      if (posting) return;
      var text = box.value.trim();
      err.hidden = true;
      if (!text) {
        err.textContent = t("answerEmpty");
        err.hidden = false;
        return;
      }
      if (text.length > MAX_NOTE) {
        err.textContent = t("answerTooLong", { limit: MAX_NOTE });
        err.hidden = false;
        return;
      }
      posting = true;
      send.disabled = true;
      try {
        var resp = await fetch(requestUrl(r, "/messages"), {
          method: "POST", headers: withLanguage({ "Content-Type": "application/json" }), body: JSON.stringify({ text: text }),
          credentials: "omit",
        });
        if (!resp.ok) throw new HttpError(resp.status, await readDetail(resp));
        box.value = "";
        var fresh = await fetchStatus(r).then(function (s) { return { status: s }; }, function (e2) { return { error: e2 }; });
        var again = requestItem(r, fresh);
        item.replaceWith(again);
        var next = again.querySelector(".answer textarea");
        if (next) next.focus();
      } catch (e3) {
        var d = { detail: e3 instanceof HttpError && e3.detail ? t("detail", { detail: String(e3.detail).replace(/\u3002$/, "") }) : "" };
        err.textContent = e3 instanceof HttpError ? t("answerFailed", d) : t("offline");
        err.hidden = false;
      } finally {
        posting = false;
        send.disabled = false;
      }
    });
    return el("div", null, [f, err]);
  }

  function statusError(err) {
    if (err instanceof HttpError) {
      if (err.status === 503) return t("unavailable");
      if (err.status >= 500) return t("serverError");
      return t("statusFailed", { detail: err.detail ? t("detail", { detail: String(err.detail).replace(/\u3002$/, "") }) : "" });
    }
    return t("offline");
  }

  var closedStatuses = null; // from GET /v1/meta: the statuses with no way out (no answer box there)
  function closedStatus(status) {
    return !!closedStatuses && closedStatuses.indexOf(status) >= 0;
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
    if (configError && !reqView.hidden) closeRequests(false);
    renderRequestsButton();
    if (!reqView.hidden) form.hidden = log.hidden = true;
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

  function formatDateTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.toLocaleString(LANG === "en" ? undefined : LANG, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
    });
  }

  function formatTime(d) {
    return d.toLocaleTimeString(LANG === "en" ? undefined : LANG, { hour: "2-digit", minute: "2-digit" });
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
      if (reply.ticket) state.company = state.company || reply.ticket.company;
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

  // The statuses and request types already drawn (a draft form, a submitted request restored or My requests drawn
  // before meta answered), renamed in place: drawing them again would lose what the customer has typed into a form.
  function renameFromMeta() {
    Array.prototype.forEach.call(root.querySelectorAll("[data-status]"), function (node) {
      node.textContent = statusLabel(node.getAttribute("data-status"));
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-request-type]"), function (node) {
      node.textContent = capitalized(requestTypeLabel(node.getAttribute("data-request-type")));
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-request-types]"), function (node) {
      node.textContent = requestTypeList(node.getAttribute("data-request-types").split(" ").filter(Boolean));
    });
  }

  // Each entry's name in the widget's language (an entry without one keeps its code).
  function namesOf(entries, names) {
    entries.forEach(function (entry) {
      var name = entry && entry.labels && entry.labels[LANG];
      if (entry && typeof entry.id === "string" && typeof name === "string" && name) names[entry.id] = name;
    });
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
      var note = meta && meta.limits && meta.limits.max_note_chars;
      if (typeof note === "number" && note > 0) MAX_NOTE = note;
      if (meta && Array.isArray(meta.statuses)) {
        closedStatuses = meta.statuses.filter(function (st) { return st && st.open === false; }).map(function (st) { return st.id; });
        namesOf(meta.statuses, STATUS_NAMES);
      }
      if (meta && Array.isArray(meta.request_types)) namesOf(meta.request_types, TYPE_NAMES);
      renameFromMeta();
    }, function () { /* keep the default limits, and the codes for names */ });
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
  reqBtn.addEventListener("click", function () { if (reqView.hidden) openRequests(); else closeRequests(); });
  reqBack.addEventListener("click", function () { closeRequests(); });
  reqRefresh.addEventListener("click", function () { refreshRequests(); });
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
