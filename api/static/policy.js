/* Policy view: /policy?company=ID[&doc=DOC&start=N&end=M&v=VERSION]
 * Shows the company's policy text with text[start:end] (code points) wrapped in <mark>, scrolled into view.
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
    say("No company given: open this page from a citation in the chat.", "error");
    return;
  }

  Promise.all([
    fetch("/v1/companies/" + encodeURIComponent(company) + "/policy").then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : "the policy could not be loaded");
        return body;
      });
    }),
    fetch("/v1/companies").then(function (r) { return r.ok ? r.json() : []; }).catch(function () { return []; }),
  ]).then(function (results) {
    var policy = results[0];
    var info = results[1].filter(function (c) { return c.id === policy.company; })[0];
    var name = info ? info.name : policy.company;
    title.textContent = name + " — privacy policy";
    document.title = name + " — privacy policy";
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
      say("The quoted passage is not in the current policy text; it may have changed since the answer was given.", "warn");
    } else if (mark) {
      subtitle.textContent = "The quoted passage is highlighted.";
      if (target && version && target.version !== version) {
        say("The policy has been updated since this answer was given; the highlight may be slightly off.", "warn");
      }
      mark.scrollIntoView({ block: "center" });
      mark.focus({ preventScroll: true });
    } else {
      subtitle.textContent = info && info.source_url ? "Source: " + info.source_url : "";
    }
  }).catch(function (err) {
    subtitle.textContent = "";
    say("Could not load the policy: " + err.message, "error");
  });
})();
