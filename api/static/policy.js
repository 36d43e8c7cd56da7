/* Policy view: /policy?company=ID[&doc=DOC&start=N&end=M&v=VERSION][&lang=en|ja]
 * Shows the company's policy text with text[start:end] (code points) wrapped in <mark>, scrolled into view.
 * The page's own texts follow `lang` (the widget passes its own), else the browser's languages.
 * The text is inserted as text nodes only. */
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var company = params.get("company") || "";
  var docId = params.get("doc");
  var version = params.get("v");
  var start = toInt(params.get("start"));
  var end = toInt(params.get("end"));
  var title = document.getElementById("title");
  var subtitle = document.getElementById("subtitle");
  var message = document.getElementById("message");
  var docs = document.getElementById("docs");

  var STRINGS = {
    en: {
      title: "Privacy policy",
      loading: "Loading\u2026",
      titleOf: "{name} \u2014 privacy policy",
      noCompany: "No company given: open this page from a citation in the chat.",
      notLoaded: "the policy could not be loaded",
      loadFailed: "Could not load the policy: {reason}",
      gone: "The quoted passage is not in the current policy text; it may have changed since the answer was given.",
      highlighted: "The quoted passage is highlighted.",
      updated: "The policy has been updated since this answer was given; the highlight may be slightly off.",
      source: "Source: {url}",
    },
    ja: {
      title: "プライバシーポリシー",
      loading: "読み込んでいます…",
      titleOf: "{name} \u2014 プライバシーポリシー",
      noCompany: "会社が指定されていません。チャットの出典からこのページを開いてください。",
      notLoaded: "ポリシーを読み込めませんでした",
      loadFailed: "ポリシーを読み込めませんでした: {reason}",
      gone: "引用された箇所は現在のポリシー本文にありません。回答の後にポリシーが変更された可能性があります。",
      highlighted: "引用された箇所を強調表示しています。",
      updated: "この回答の後にポリシーが更新されました。強調表示の位置が少しずれている可能性があります。",
      source: "出典: {url}",
    },
  };
  var LANG = pickLanguage();
  var TEXT = STRINGS[LANG];
  document.documentElement.lang = LANG;
  if (LANG !== "en") {
    title.textContent = t("title");
    document.title = t("title");
    subtitle.textContent = t("loading");
  }

  function pickLanguage() {
    var wanted = [params.get("lang")].concat(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var primary = String(wanted[i] || "").trim().toLowerCase().split(/[-_]/)[0];
      if (Object.prototype.hasOwnProperty.call(STRINGS, primary)) return primary;
    }
    return "en";
  }

  function t(key, values) {
    return TEXT[key].replace(/\{(\w+)\}/g, function (all, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  // The server's error texts in the page's language.
  var HEADERS = { "Accept-Language": LANG };

  function toInt(v) {
    return v !== null && /^\d+$/.test(v) ? parseInt(v, 10) : null;
  }

  function say(text, cls) {
    message.textContent = text;
    message.className = cls;
    message.hidden = false;
  }

  function h(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  if (!company) {
    subtitle.textContent = "";
    say(t("noCompany"), "error");
    return;
  }

  Promise.all([
    fetch("/v1/companies/" + encodeURIComponent(company) + "/policy", { headers: HEADERS }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : t("notLoaded"));
        return body;
      });
    }),
    fetch("/v1/companies", { headers: HEADERS }).then(function (r) { return r.ok ? r.json() : []; }).catch(function () { return []; }),
  ]).then(function (results) {
    var policy = results[0];
    var info = results[1].filter(function (c) { return c.id === policy.company; })[0];
    var name = info ? info.name : policy.company;
    title.textContent = t("titleOf", { name: name });
    document.title = t("titleOf", { name: name });
    var highlight = start !== null && end !== null && end > start;
    var target = highlight ? (policy.documents.filter(function (d) { return d.doc_id === docId; })[0] || policy.documents[0]) : null;
    var mark = null;
    policy.documents.forEach(function (doc) {
      var article = h("article", "policy-doc");
      article.lang = /[\u3040-\u30ff\u4e00-\u9fff]/.test(doc.text.slice(0, 2000)) ? "ja" : "en";
      if (policy.documents.length > 1 || doc.title) article.appendChild(h("h2", null, doc.title || doc.doc_id));
      var body = h("div", "policy-text");
      // Offsets are code points; Array.from splits by code point, not UTF-16 unit.
      var chars = Array.from(doc.text);
      if (doc === target && end <= chars.length) {
        body.appendChild(document.createTextNode(chars.slice(0, start).join("")));
        mark = h("mark", null, chars.slice(start, end).join(""));
        mark.id = "cited";
        mark.tabIndex = -1;
        body.appendChild(mark);
        body.appendChild(document.createTextNode(chars.slice(end).join("")));
      } else {
        body.appendChild(document.createTextNode(doc.text));
      }
      article.appendChild(body);
      docs.appendChild(article);
    });
    if (highlight && !mark) {
      subtitle.textContent = "";
      say(t("gone"), "warn");
    } else if (mark) {
      subtitle.textContent = t("highlighted");
      if (target && version && target.version !== version) {
        say(t("updated"), "warn");
      }
      mark.scrollIntoView({ block: "center" });
      mark.focus({ preventScroll: true });
    } else {
      subtitle.textContent = info && info.source_url ? t("source", { url: info.source_url }) : "";
    }
  }).catch(function (err) {
    subtitle.textContent = "";
    say(t("loadFailed", { reason: err.message }), "error");
  });
})();
