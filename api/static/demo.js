/* Demo page: fill the company picker and embed the widget for the chosen company.
 * `?lang=ja` makes it a Japanese page (<html lang="ja">): its texts, and so the widget's, are Japanese. */
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var company = (params.get("company") || "").trim();
  var lang = (params.get("lang") || "").trim().toLowerCase();
  var select = document.getElementById("company");
  var base = window.location.origin;

  // The page's texts in Japanese, by the element's data-text (or data-label for an aria-label).
  var JA = {
    title: "プライバシーアシスタント — ウィジェットのデモ",
    heading: "ウィジェットのデモ",
    intro: "プライバシーアシスタントを組み込んだ、会社のウェブサイトの見本です。右下のボタンからチャットを開いてください。",
    picker: "ウィジェットが対応する会社を選ぶ",
    company: "会社",
    none: "（指定なし: アシスタントがどの会社か尋ねます）",
    show: "表示",
    embed: "埋め込みコード",
    embedBefore: "どのページにもタグを 1 つ置くだけです。",
    embedAfter: " は省略できます。",
    about: "このページについて",
    aboutText: "この文章はホストページ自身の明朝体で、ボタンもホストページのスタイルで表示されています。チャットウィジェットは Shadow DOM の中にあるため、その影響を受けずに独自の見た目を保ちます。個人情報の取り扱いについてのご質問は、右下のボタンからどうぞ。",
  };
  if (lang === "ja") {
    document.documentElement.lang = "ja";
    document.title = JA.title;
    document.querySelectorAll("[data-text]").forEach(function (node) { node.textContent = JA[node.dataset.text]; });
    document.querySelectorAll("[data-label]").forEach(function (node) { node.setAttribute("aria-label", JA[node.dataset.label]); });
  }
  if (lang) {
    var keep = document.getElementById("lang"); // the picker keeps the page's language
    keep.value = lang;
    keep.disabled = false;
  }

  var tag = document.createElement("script");
  tag.src = base + "/static/widget.js";
  if (company) tag.dataset.company = company;
  tag.defer = true;
  document.body.appendChild(tag);

  document.getElementById("snippet").textContent =
    '<script src="' + base + '/static/widget.js"' + (company ? ' data-company="' + company + '"' : "") + " defer></script>";

  fetch("/v1/companies").then(function (r) { return r.ok ? r.json() : []; }).then(function (list) {
    list.forEach(function (c) {
      var opt = document.createElement("option");
      opt.value = c.id;
      opt.textContent = c.name + " (" + c.id + ")";
      if (c.id === company) opt.selected = true;
      select.appendChild(opt);
    });
  }).catch(function () { /* the picker stays with the "none" option */ });
})();
