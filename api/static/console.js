/* Staff console: clause search, side-by-side comparison, desk queue.
 * The API key lives in sessionStorage (this tab only) and goes out as X-API-Key.
 * Server text is only ever inserted with textContent. */
(function () {
  "use strict";

  var KEY_STORE = "privacy-assistant:console-key";
  // Ticket statuses, their allowed next statuses and the request types come from GET /v1/meta
  // (loadMeta) so the choices offered follow the desk's lifecycle; the server decides (409 otherwise).
  var meta = null;         // MetaOut, once loaded
  var NEXT = {};           // status -> statuses allowed next
  var STOP = ("a an and are as at be by can do does for from has have how i if in is it its me my of on or our " +
    "that the their them they this to was we what when where which who why will with you your").split(" ");
  var PAGE = 25;

  var key = null;
  var me = null;           // {actor, companies, all_companies}
  var companies = [];      // CompanyOut of the companies this key may see
  var deskOffset = 0;
  var deskSeq = 0;         // numbers queue loads so a slow, older answer cannot overwrite a newer one
  var deskShown = null;    // {filters: URLSearchParams, total} of the queue on screen: what the CSV button exports
  var openRef = null;
  var shownRef = null;     // the ticket whose reply box is on screen: another ticket starts with an empty one

  // ------------------------------------------------------------------ language
  // Every text the console shows or announces, per language; {name} is filled in by t(). console.html's static
  // texts name their key in data-i18n (the text), data-i18n-rich (*bold* and `code` marked) or data-i18n-ATTR.
  // The nested tables name the API's values (routes, channels; statuses, request types and the audit trail's
  // library notes are worded by GET /v1/meta's labels); the values themselves are never translated, only what
  // is shown. A value missing from them is shown as the API gives it. tests/api/test_console_strings.py checks
  // both languages have every key.
  var STRINGS = {
    en: {
      pageTitle: "Privacy desk console",
      languageSwitch: "Language",
      signOut: "Sign out",
      signIn: "Sign in",
      staffKey: "Staff API key",
      keyNote: "The key stays in this browser tab only (session storage) and is sent as the `X-API-Key` header.",
      notAccepted: "That key was not accepted.",
      signInFailed: "Could not sign in: {detail}",
      keyRevoked: "Your key is no longer accepted: sign in again.",
      unreachable: "could not reach the server; check the connection and retry",
      requestFailed: "request failed (HTTP {status})",
      signedInAs: "Signed in as {actor} \u00b7 {companies}",
      allCompanies: "all companies",
      listSeparator: ", ",
      sentenceGap: " ",
      consoleSections: "Console sections",
      tabSearch: "Clause search",
      tabCompare: "Compare companies",
      tabDesk: "Desk queue",
      searchLabel: "Search clauses",
      searchPlaceholder: "e.g. fee for a disclosure request",
      company: "Company",
      allMyCompanies: "All my companies",
      results: "Results",
      search: "Search",
      matchingClauses: "Matching clauses",
      searching: "Searching\u2026",
      sectionPage: "{section} \u00b7 p. {page}",
      citationPage: "{section}, p. {page}",
      copyCitation: "Copy citation",
      copyCitationLabel: "Copy citation: {company}, {section}",
      copied: "Copied.",
      copyFailed: "Could not copy; select the text instead.",
      openInPolicy: "Open in policy",
      clausesFound: "{n} clause(s) found.",
      noClause: "No clause matches.",
      searchFailed: "Search failed: {detail}",
      question: "Question",
      comparePlaceholder: "e.g. Do you share my data with third parties?",
      compare: "Compare",
      compareNote: "Asks the assistant once per company you can see, each in a fresh session that is deleted afterwards. " +
        "Ask questions only: a formal request typed here opens a real ticket at each company's desk.",
      asking: "asking\u2026",
      askingCompanies: "Asking {n} companies\u2026",
      answeredFor: "Answered for {done} of {total} companies.",
      notStated: "Not stated",
      openedTicket: "Opened desk ticket {id}",
      citations: "Citations",
      clause: "clause",
      failed: "error",
      status: "Status",
      any: "Any",
      requestType: "Request type",
      internalTarget: "Internal target",
      overdueOnly: "Overdue only",
      notOverdue: "Not overdue",
      evalTickets: "Evaluation tickets",
      evalHidden: "Hidden",
      evalShown: "Shown",
      apply: "Apply",
      downloadCsv: "Download CSV",
      csvHint: "The CSV holds every ticket of the queue shown (all pages, the filters last applied).",
      targetNote: "*Internal target* is the desk\u2019s own response target (`due_days` in `companies.toml`), not a deadline " +
        "stated in the company\u2019s policy. *Overdue*: still open past that target.",
      tableCaption: "Tickets, newest first. Press Enter or Space on a row to open the ticket.",
      reference: "Reference",
      request: "Request",
      previous: "Previous",
      next: "Next",
      metaError: "The status and request-type choices could not be loaded; reload the page to retry.",
      metaErrorDetail: "The status and request-type choices could not be loaded; reload the page to retry. ({detail})",
      openTicket: "Open ticket {ref}",
      withProxy: "{types} (proxy)",
      loading: "Loading\u2026",
      ticketsRange: "Tickets {from}\u2013{to} of {total}.",
      noTickets: "No tickets match.",
      overdueOnPage: "{n} overdue on this page.",
      pageOf: "Page {page} of {pages}",
      queueFailed: "Could not load the queue: {detail}",
      overdue: "Overdue",
      overdueHint: "Still open past the desk's internal target",
      close: "Close",
      closeTicketLabel: "Close ticket details",
      requestTypesLabel: "Request types",
      onBehalf: "On behalf of someone else",
      proxyYes: "yes (proxy request)",
      proxyNo: "no",
      channel: "Channel",
      received: "Received",
      targetPassed: "{date} (passed)",
      targetHint: "The desk's own target (due_days), not a deadline from the policy",
      lastUpdated: "Last updated",
      policyVersion: "Policy version",
      contactName: "Name",
      contactEmail: "E-mail",
      contactPostal: "Postal address",
      contactPhone: "Telephone",
      message: "Message",
      threadTitle: "Conversation with the customer",
      refresh: "Refresh",
      refreshLabel: "Refresh the conversation",
      noMessages: "No messages yet. Write to the customer below.",
      fromDesk: "Desk",
      fromCustomer: "Customer",
      template: "Template",
      writeOwn: "Write your own",
      replyLabel: "Message to the customer",
      replyHint: "The customer reads it under \u201cMy requests\u201d in the widget; it is kept in the audit trail.",
      send: "Send",
      writeFirst: "Write a message first.",
      messageSent: "Message sent to the customer of {ref}.",
      mayMoveTo: "may move to: {next}.",
      closedNoChanges: "closed: no further status changes.",
      auditTrail: "Audit trail",
      changeStatus: "Change status",
      note: "Note",
      notePlaceholder: "Why (required when rejecting)",
      saveStatus: "Save status",
      nowStatus: "{ref} is now {status}.",
      couldNotOpen: "Could not open {ref}: {detail}",
      preparingCsv: "Preparing the CSV\u2026",
      downloaded: "Downloaded {name}.",
      downloadedOne: "Downloaded {name} (1 ticket).",
      downloadedMany: "Downloaded {name} ({n} tickets).",
      csvFailed: "Could not download the CSV: {detail}",
      // Reply templates for the conversation pane; staff edit them before sending.
      templates: {
        received: "Received",
        identity: "Ask for ID",
        form: "Ask for the form",
        done: "Completed",
      },
      templateTexts: {
        received: "We have received your request and are looking into it. We will write to you here when there is news.",
        identity: "To confirm your identity, please send a copy of an identity document (for example a driver's licence or passport) " +
          "as our privacy policy describes. We will continue as soon as it arrives.",
        form: "Please send the formal request form as our privacy policy describes; this message is not yet the formal request itself.",
        done: "We have completed your request. Thank you for your patience.",
      },
      routes: {
        answer: "answer",
        desk: "desk",
        abstain: "not stated",
        clarify: "clarify",
      },
      channels: {
        chat: "chat",
        api: "api",
        eval: "eval",
      },
    },
    ja: {
      pageTitle: "個人情報窓口コンソール",
      languageSwitch: "表示言語",
      signOut: "サインアウト",
      signIn: "サインイン",
      staffKey: "スタッフ用 API キー",
      keyNote: "キーはこのブラウザーのタブ内（セッションストレージ）にのみ保存され、`X-API-Key` ヘッダーとして送信されます。",
      notAccepted: "このキーは受け付けられませんでした。",
      signInFailed: "サインインできませんでした: {detail}",
      keyRevoked: "このキーは受け付けられなくなりました。もう一度サインインしてください。",
      unreachable: "サーバーに接続できませんでした。接続を確認して、もう一度お試しください。",
      requestFailed: "リクエストに失敗しました（HTTP {status}）",
      signedInAs: "{actor} としてサインイン中\u30fb{companies}",
      allCompanies: "すべての会社",
      listSeparator: "、",
      sentenceGap: "",
      consoleSections: "コンソールのメニュー",
      tabSearch: "条項検索",
      tabCompare: "会社比較",
      tabDesk: "受付一覧",
      searchLabel: "条項を検索",
      searchPlaceholder: "例: 開示請求の手数料",
      company: "会社",
      allMyCompanies: "担当のすべての会社",
      results: "表示件数",
      search: "検索",
      matchingClauses: "該当する条項",
      searching: "検索しています\u2026",
      sectionPage: "{section}\u30fb{page} ページ",
      citationPage: "{section}、{page} ページ",
      copyCitation: "引用をコピー",
      copyCitationLabel: "引用をコピー: {company}、{section}",
      copied: "コピーしました。",
      copyFailed: "コピーできませんでした。テキストを選択してコピーしてください。",
      openInPolicy: "ポリシーで開く",
      clausesFound: "{n} 件の条項が見つかりました。",
      noClause: "該当する条項はありません。",
      searchFailed: "検索できませんでした: {detail}",
      question: "質問",
      comparePlaceholder: "例: 私の個人情報を第三者に提供していますか？",
      compare: "比較",
      compareNote: "担当の会社ごとに 1 回ずつ、新しいセッションでアシスタントに質問します（セッションは終了後に削除されます）。" +
        "入力するのは質問だけにしてください。ここで正式な請求を入力すると、各社の窓口に実際の申請が登録されます。",
      asking: "質問中\u2026",
      askingCompanies: "{n} 社に質問しています\u2026",
      answeredFor: "{total} 社中 {done} 社から回答がありました。",
      notStated: "ポリシーに記載なし",
      openedTicket: "窓口に申請 {id} が登録されました",
      citations: "引用",
      clause: "条項",
      failed: "エラー",
      status: "ステータス",
      any: "すべて",
      requestType: "請求の種類",
      internalTarget: "社内目標期限",
      overdueOnly: "期限超過のみ",
      notOverdue: "期限内のみ",
      evalTickets: "評価用の申請",
      evalHidden: "表示しない",
      evalShown: "表示する",
      apply: "絞り込む",
      downloadCsv: "CSV をダウンロード",
      csvHint: "CSV には、表示中の一覧のすべての申請（全ページ、最後に適用した絞り込み条件）が含まれます。",
      targetNote: "*社内目標期限*は、窓口が独自に定めた対応目標（`companies.toml` の `due_days`）で、" +
        "会社のプライバシーポリシーに定められた期限ではありません。*期限超過*: この目標を過ぎても完了していない申請です。",
      tableCaption: "申請の一覧（新しい順）。行で Enter キーまたはスペースキーを押すと、その申請を開きます。",
      reference: "受付番号",
      request: "請求内容",
      previous: "前へ",
      next: "次へ",
      metaError: "ステータスと請求の種類の選択肢を読み込めませんでした。ページを再読み込みしてください。",
      metaErrorDetail: "ステータスと請求の種類の選択肢を読み込めませんでした。ページを再読み込みしてください。（{detail}）",
      openTicket: "申請 {ref} を開く",
      withProxy: "{types}（代理人による請求）",
      loading: "読み込んでいます\u2026",
      ticketsRange: "全 {total} 件中 {from}〜{to} 件目を表示しています。",
      noTickets: "条件に合う申請はありません。",
      overdueOnPage: "このページのうち {n} 件が期限超過です。",
      pageOf: "{page} / {pages} ページ",
      queueFailed: "受付一覧を読み込めませんでした: {detail}",
      overdue: "期限超過",
      overdueHint: "窓口の社内目標期限を過ぎても完了していません",
      close: "閉じる",
      closeTicketLabel: "申請の詳細を閉じる",
      requestTypesLabel: "請求の種類",
      onBehalf: "代理人による請求",
      proxyYes: "はい（代理人による請求）",
      proxyNo: "いいえ",
      channel: "受付経路",
      received: "受付日時",
      targetPassed: "{date}（超過）",
      targetHint: "窓口が独自に定めた目標（due_days）で、ポリシーに定められた期限ではありません",
      lastUpdated: "最終更新",
      policyVersion: "ポリシーの版",
      contactName: "氏名",
      contactEmail: "メールアドレス",
      contactPostal: "住所",
      contactPhone: "電話番号",
      message: "申請時のメッセージ",
      threadTitle: "顧客とのやり取り",
      refresh: "更新",
      refreshLabel: "やり取りを最新の状態にする",
      noMessages: "まだメッセージはありません。下の欄から顧客にメッセージを送れます。",
      fromDesk: "窓口",
      fromCustomer: "顧客",
      template: "テンプレート",
      writeOwn: "自分で入力する",
      replyLabel: "顧客へ返信",
      replyHint: "顧客はウィジェットの「申請状況」でこのメッセージを読みます。監査記録にも残ります。",
      send: "送信",
      writeFirst: "先にメッセージを入力してください。",
      messageSent: "{ref} の顧客にメッセージを送信しました。",
      mayMoveTo: "変更できるステータス: {next}",
      closedNoChanges: "終了済みのため、これ以上ステータスは変更できません。",
      auditTrail: "監査記録",
      changeStatus: "ステータスを変更",
      note: "メモ",
      notePlaceholder: "理由（却下する場合は必須）",
      saveStatus: "ステータスを保存",
      nowStatus: "{ref} のステータスを「{status}」に変更しました。",
      couldNotOpen: "{ref} を開けませんでした: {detail}",
      preparingCsv: "CSV を準備しています\u2026",
      downloaded: "{name} をダウンロードしました。",
      downloadedOne: "{name} をダウンロードしました（1 件）。",
      downloadedMany: "{name} をダウンロードしました（{n} 件）。",
      csvFailed: "CSV をダウンロードできませんでした: {detail}",
      templates: {
        received: "受付のご連絡",
        identity: "本人確認書類のお願い",
        form: "請求書のご提出のお願い",
        done: "完了のご連絡",
      },
      templateTexts: {
        received: "ご依頼を受け付けました。現在、内容を確認しております。進捗がありましたら、こちらでお知らせいたします。",
        identity: "ご本人確認のため、当社のプライバシーポリシーに記載のとおり、本人確認書類（運転免許証やパスポートなど）の写しをお送りください。" +
          "書類が届き次第、手続きを進めます。",
        form: "当社のプライバシーポリシーに記載のとおり、所定の請求書をご提出ください。いただいたご連絡は、まだ正式なご請求としては扱われません。",
        done: "ご依頼の対応が完了いたしました。長らくお待たせいたしました。",
      },
      routes: {
        answer: "回答",
        desk: "窓口対応",
        abstain: "記載なし",
        clarify: "確認",
      },
      channels: {
        chat: "チャット",
        api: "API",
        eval: "評価",
      },
    },
  };

  var DEFAULT_LANG = "en"; // console.html's own <html lang>: another value there is a deployment's choice
  var has = function (o, k) { return Object.prototype.hasOwnProperty.call(o, k); };

  function primaryTag(tag) { return String(tag || "").trim().toLowerCase().split(/[-_]/)[0]; }

  // ?lang=, then the page's <html lang> if someone set it to other than the default, then the browser's
  // languages (the first one supported), else English.
  function pickLanguage() {
    var page = primaryTag(document.documentElement.getAttribute("lang"));
    var wanted = [new URLSearchParams(window.location.search).get("lang"), page === DEFAULT_LANG ? "" : page];
    wanted = wanted.concat(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var primary = primaryTag(wanted[i]);
      if (primary && has(STRINGS, primary)) return primary;
    }
    return DEFAULT_LANG;
  }

  var LANG = pickLanguage();
  var TEXT = STRINGS[LANG];
  document.documentElement.lang = LANG;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, v) {
      return values && has(values, v) ? String(values[v]) : all;
    });
  }
  function t(name, values) { return fill(TEXT[name], values); }

  function label(table, value) { return has(TEXT[table], value) ? TEXT[table][value] : human(value); }
  // Statuses and request types are named as the assistant's replies name them, and the audit trail's library
  // notes worded: GET /v1/meta's labels.
  var NAMES = { statuses: {}, request_types: {}, audit_notes: {} };
  function named(kind, value) { return NAMES[kind][value] || human(value); }
  function statusLabel(s) { return named("statuses", s); }
  function typeLabel(s) { return named("request_types", s); }
  // An audit entry's note: one the library wrote by its code (its values filled in); staff's own words, an
  // entry from before notes had codes, or a code this console has no wording for, as stored.
  function eventNote(ev) {
    var wording = ev.note_code && has(NAMES.audit_notes, ev.note_code) ? NAMES.audit_notes[ev.note_code] : null;
    return wording ? fill(wording, ev.note_params) : ev.note;
  }
  function listOf(items) { return items.join(TEXT.listSeparator); }
  function sentences() { return Array.prototype.slice.call(arguments).filter(Boolean).join(TEXT.sentenceGap); }

  // Dates in the console's language; the browser's own variant of it (en-GB, say) when it has one.
  var DATES = new Intl.DateTimeFormat(
    (navigator.languages || [navigator.language]).filter(function (l) { return primaryTag(l) === LANG; }).concat([LANG]),
    { dateStyle: "medium", timeStyle: "short" });

  // A text with *bold* and `code` marked, built as nodes.
  function rich(text) {
    var frag = document.createDocumentFragment();
    text.split(/(\*[^*]+\*|`[^`]+`)/).forEach(function (part) {
      if (!part) return;
      var tag = part[0] === "*" ? "strong" : part[0] === "`" ? "code" : null;
      frag.appendChild(tag ? h(tag, { text: part.slice(1, -1) }) : document.createTextNode(part));
    });
    return frag;
  }

  // console.html's static texts, from their data-i18n* keys.
  var I18N_ATTRS = ["placeholder", "aria-label", "title"];
  function translatePage() {
    document.querySelectorAll("[data-i18n]").forEach(function (el) { el.textContent = t(el.getAttribute("data-i18n")); });
    document.querySelectorAll("[data-i18n-rich]").forEach(function (el) {
      el.textContent = "";
      el.appendChild(rich(t(el.getAttribute("data-i18n-rich"))));
    });
    I18N_ATTRS.forEach(function (name) {
      document.querySelectorAll("[data-i18n-" + name + "]").forEach(function (el) { el.setAttribute(name, t(el.getAttribute("data-i18n-" + name))); });
    });
    // The switch reloads this page in the other language (the key stays in sessionStorage: still signed in).
    document.querySelectorAll("#lang-switch a[data-lang]").forEach(function (a) {
      var params = new URLSearchParams(window.location.search);
      params.set("lang", a.getAttribute("data-lang"));
      a.href = "?" + params.toString();
      if (a.getAttribute("data-lang") === LANG) a.setAttribute("aria-current", "true");
      else a.removeAttribute("aria-current");
    });
  }
  translatePage();

  function $(id) { return document.getElementById(id); }

  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) {
      var v = attrs[name];
      if (v === null || v === undefined || v === false) continue;
      if (name === "text") node.textContent = v;
      else if (name === "className") node.className = v;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), v);
      else node.setAttribute(name, v === true ? "" : String(v));
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  function human(s) { return String(s).replace(/_/g, " "); }

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : DATES.format(d);
  }

  function companyName(id) {
    var c = companies.filter(function (x) { return x.id === id; })[0];
    return c ? shortName(c) : id;
  }

  // The short name as the console's language writes it (short_names.ja on a Japanese console).
  function shortName(c) { return (c.short_names && c.short_names[LANG]) || c.short_name; }

  function policyUrl(cite) {
    var p = new URLSearchParams({ company: cite.company, doc: cite.doc_id, start: cite.start, end: cite.end, v: cite.version });
    return "/policy?" + p.toString();
  }

  // ------------------------------------------------------------------ API
  function ApiError(status, detail) { this.status = status; this.message = detail; }

  // The response of a call with the key as a header (never in the URL); an ApiError unless it is 2xx.
  async function call(path, opts) {
    opts = opts || {};
    // Accept-Language on every call, so the server's error texts come back in the console's language.
    var headers = { "X-API-Key": key, Accept: opts.accept || "application/json", "Accept-Language": LANG };
    if (opts.json !== undefined) headers["Content-Type"] = "application/json";
    var resp;
    try {
      resp = await fetch(path, { method: opts.method || "GET", headers: headers,
        body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined });
    } catch (e) {
      throw new ApiError(0, t("unreachable"));
    }
    if (!resp.ok) {
      var body = null;
      try { body = await resp.json(); } catch (e) { /* not JSON */ }
      var detail = body && typeof body.detail === "string" ? body.detail : t("requestFailed", { status: resp.status });
      if (resp.status === 401 && !opts.signingIn) signOut(t("keyRevoked"));
      throw new ApiError(resp.status, detail);
    }
    return resp;
  }

  async function api(path, opts) {
    var resp = await call(path, opts);
    if (resp.status === 204) return null;
    try { return await resp.json(); } catch (e) { return null; }
  }

  // ------------------------------------------------------------------ sign in
  async function signIn(candidate, quiet) {
    key = candidate;
    try {
      me = await api("/v1/staff/me", { signingIn: true });
    } catch (err) {
      key = null;
      sessionStorage.removeItem(KEY_STORE);
      if (!quiet) {
        $("signin-error").textContent = err.status === 401 ? t("notAccepted") : t("signInFailed", { detail: err.message });
        $("signin-error").hidden = false;
      }
      return;
    }
    sessionStorage.setItem(KEY_STORE, key);
    await loadMeta();
    var all = await api("/v1/companies");
    companies = all.filter(function (c) { return me.companies.indexOf(c.id) >= 0; });
    $("signin-error").hidden = true;
    $("api-key").value = "";
    $("signin").hidden = true;
    $("app").hidden = false;
    $("who").hidden = false;
    $("who-label").textContent = t("signedInAs", {
      actor: me.actor, companies: me.all_companies ? t("allCompanies") : listOf(companies.map(shortName)),
    });
    document.querySelectorAll(".company-select").forEach(function (sel) {
      sel.length = 1;
      companies.forEach(function (c) { sel.appendChild(h("option", { value: c.id, text: c.name })); });
    });
    selectTab("tab-search", false);
  }

  function signOut(why) {
    key = null;
    me = null;
    deskShown = null;
    openRef = null;
    $("ticket").hidden = true; // the next key may not see this ticket's company
    sessionStorage.removeItem(KEY_STORE);
    $("app").hidden = true;
    $("who").hidden = true;
    $("signin").hidden = false;
    $("signin-error").textContent = why || "";
    $("signin-error").hidden = !why;
    $("api-key").focus();
  }

  // ------------------------------------------------------------------ tabs
  var TABS = ["tab-search", "tab-compare", "tab-desk"];

  function selectTab(id, focus) {
    TABS.forEach(function (t) {
      var on = t === id;
      $(t).setAttribute("aria-selected", on ? "true" : "false");
      $(t).tabIndex = on ? 0 : -1;
      $($(t).getAttribute("aria-controls")).hidden = !on;
    });
    if (focus) $(id).focus();
    if (id === "tab-desk") loadQueue();
  }

  TABS.forEach(function (t, i) {
    $(t).addEventListener("click", function () { selectTab(t, false); });
    $(t).addEventListener("keydown", function (e) {
      var j = null;
      if (e.key === "ArrowRight") j = (i + 1) % TABS.length;
      else if (e.key === "ArrowLeft") j = (i + TABS.length - 1) % TABS.length;
      else if (e.key === "Home") j = 0;
      else if (e.key === "End") j = TABS.length - 1;
      if (j !== null) { e.preventDefault(); selectTab(TABS[j], true); }
    });
  });

  // ------------------------------------------------------------------ (a) clause search
  function queryPattern(q) {
    var words = (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []).filter(function (w, i, all) {
      var cjk = /[\u3040-\u30ff\u3400-\u9fff]/.test(w);
      return all.indexOf(w) === i && (cjk || (w.length > 1 && STOP.indexOf(w) < 0));
    });
    if (!words.length) return null;
    words.sort(function (a, b) { return b.length - a.length; });
    var parts = words.map(function (w) {
      var esc = w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      // Latin words match at a word start (so "fee" also marks "fees"); Japanese has no spaces to anchor on.
      return /[\u3040-\u30ff\u3400-\u9fff]/.test(w) ? esc : "(?<![\\p{L}\\p{N}])" + esc;
    });
    return new RegExp("(" + parts.join("|") + ")", "giu");
  }

  function highlighted(text, pattern) {
    var frag = document.createDocumentFragment();
    if (!pattern) { frag.appendChild(document.createTextNode(text)); return frag; }
    text.split(pattern).forEach(function (part, i) {
      if (!part) return;
      // split() with one capture group puts the matches at the odd positions.
      frag.appendChild(i % 2 ? h("mark", { text: part }) : document.createTextNode(part));
    });
    return frag;
  }

  // The clause with the cited span (what "copy citation" copies) in bold and the query's words marked.
  function clauseWithCitation(clause, cited, pattern) {
    var at = cited ? clause.indexOf(cited) : -1;
    if (at < 0) return [highlighted(clause, pattern)];
    return [
      highlighted(clause.slice(0, at), pattern),
      h("strong", { className: "cited" }, [highlighted(cited, pattern)]),
      highlighted(clause.slice(at + cited.length), pattern),
    ];
  }

  function citationText(cite) {
    var c = companies.filter(function (x) { return x.id === cite.company; })[0];
    return (c ? c.name : cite.company) + " \u2014 " + (cite.page ? t("citationPage", { section: cite.section, page: cite.page }) : cite.section) +
      "\n\u201c" + cite.text.trim() + "\u201d";
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try { await navigator.clipboard.writeText(text); return true; } catch (e) { /* fall back below */ }
    }
    var area = h("textarea", { readonly: true, "aria-hidden": "true" });
    area.value = text;
    area.className = "sr-only";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }

  $("search-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    var q = $("search-q").value.trim();
    if (!q) return;
    var params = new URLSearchParams({ q: q, k: $("search-k").value || "10" });
    if ($("search-company").value) params.set("company", $("search-company").value);
    var list = $("search-results");
    var status = $("search-status");
    status.textContent = t("searching");
    list.textContent = "";
    try {
      var res = await api("/v1/search?" + params.toString());
      var pattern = queryPattern(q);
      res.hits.forEach(function (hit) {
        var cite = hit.citation;
        var copied = h("span", { className: "muted", role: "status" });
        var item = h("li", { className: "hit" }, [
          h("div", { className: "hit-head" }, [
            h("span", { className: "badge", text: companyName(cite.company) }),
            h("span", { className: "section-path", text: cite.page ? t("sectionPage", { section: cite.section, page: cite.page }) : cite.section }),
          ]),
          h("p", { className: "clause" }, clauseWithCitation(hit.clause, cite.text, pattern)),
          h("div", { className: "hit-actions" }, [
            h("button", {
              className: "btn secondary small copy", type: "button", text: t("copyCitation"),
              "aria-label": t("copyCitationLabel", { company: companyName(cite.company), section: cite.section }),
              onclick: async function () {
                copied.textContent = (await copyText(citationText(cite))) ? t("copied") : t("copyFailed");
              },
            }),
            h("a", { href: policyUrl(cite), target: "_blank", rel: "noopener", text: t("openInPolicy") }),
            copied,
          ]),
        ]);
        list.appendChild(item);
      });
      status.textContent = res.hits.length ? t("clausesFound", { n: res.hits.length }) : t("noClause");
    } catch (err) {
      status.textContent = t("searchFailed", { detail: err.message });
    }
  });

  // ------------------------------------------------------------------ (b) compare
  function compareCell(company) {
    var cell = h("section", { className: "cell", "aria-label": company.name, "data-company": company.id, "aria-busy": "true" }, [
      h("h3", null, [h("span", { text: shortName(company) }), h("span", { className: "badge", text: t("asking") })]),
    ]);
    return cell;
  }

  function fillCell(cell, reply) {
    cell.setAttribute("aria-busy", "false");
    var badge = cell.querySelector(".badge");
    badge.textContent = label("routes", reply.route);
    badge.className = "badge route-" + reply.route;
    if (reply.route === "abstain") {
      cell.classList.add("abstain");
      cell.appendChild(h("p", { className: "not-stated", text: t("notStated") }));
      cell.appendChild(h("p", { className: "answer muted", text: reply.answer }));
      return;
    }
    cell.appendChild(h("p", { className: "answer", text: reply.answer }));
    if (reply.ticket) cell.appendChild(h("p", { className: "muted", text: t("openedTicket", { id: reply.ticket.id }) }));
    if (reply.citations.length) {
      var ol = h("ol", { "aria-label": t("citations") });
      reply.citations.forEach(function (c) {
        ol.appendChild(h("li", { value: String(c.id) }, [
          h("a", { href: policyUrl(c), target: "_blank", rel: "noopener", text: c.section || t("clause") }),
        ]));
      });
      cell.appendChild(ol);
    }
  }

  $("compare-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    var q = $("compare-q").value.trim();
    if (!q) return;
    var grid = $("compare-grid");
    var status = $("compare-status");
    var button = e.target.querySelector("button[type=submit]");
    grid.textContent = "";
    button.disabled = true;
    status.textContent = t("askingCompanies", { n: companies.length });
    var failures = 0;
    await Promise.all(companies.map(async function (company) {
      var cell = compareCell(company);
      grid.appendChild(cell);
      try {
        var reply = await api("/v1/chat", { method: "POST", json: { message: q, company: company.id, session_id: null } });
        fillCell(cell, reply);
        // The comparison leaves no transcript behind.
        api("/v1/sessions/" + encodeURIComponent(reply.session_id), { method: "DELETE" }).catch(function () {});
      } catch (err) {
        failures += 1;
        cell.setAttribute("aria-busy", "false");
        cell.querySelector(".badge").textContent = t("failed");
        cell.appendChild(h("p", { className: "error", text: err.message }));
      }
    }));
    button.disabled = false;
    status.textContent = t("answeredFor", { done: companies.length - failures, total: companies.length });
  });

  // ------------------------------------------------------------------ (c) desk queue
  async function loadMeta() {
    if (meta) return;
    try {
      meta = await api("/v1/meta");
    } catch (err) {
      $("desk-status").textContent = t("metaErrorDetail", { detail: err.message });
      return;
    }
    ["statuses", "request_types"].forEach(function (kind) {
      meta[kind].forEach(function (x) { NAMES[kind][x.id] = (x.labels && x.labels[LANG]) || x.label || human(x.id); });
    });
    // A note with no wording in this language is shown as stored, never guessed from its code.
    (meta.audit_notes || []).forEach(function (n) { if (n.labels && n.labels[LANG]) NAMES.audit_notes[n.id] = n.labels[LANG]; });
    meta.statuses.forEach(function (s) {
      NEXT[s.id] = s.next;
      $("desk-status-filter").appendChild(h("option", { value: s.id, text: statusLabel(s.id) }));
    });
    // English lists the API's own labels; another language the names in its labels.
    meta.request_types.forEach(function (rt) {
      var name = LANG === "en" ? rt.label : typeLabel(rt.id);
      $("desk-type").appendChild(h("option", { value: rt.id, text: name }));
    });
    $("compare-q").setAttribute("maxlength", String(meta.limits.max_message_chars));
    $("status-note").setAttribute("maxlength", String(meta.limits.max_note_chars));
    $("reply-text").setAttribute("maxlength", String(meta.limits.max_note_chars));
  }

  // Reply templates for the conversation pane (STRINGS' templates, in the console's language); staff edit them before sending.
  Object.keys(TEXT.templates).forEach(function (id) { $("reply-template").appendChild(h("option", { value: id, text: TEXT.templates[id] })); });

  function showThread(messages) {
    var list = $("ticket-thread");
    list.textContent = "";
    if (!messages.length) {
      list.appendChild(h("li", { className: "empty", text: t("noMessages") }));
      return;
    }
    messages.forEach(function (m) { // oldest first, as the API gives them
      var who = m.from === "desk" ? t("fromDesk") : t("fromCustomer");
      list.appendChild(h("li", { className: m.from === "desk" ? "desk" : "customer" }, [
        h("span", { className: "who", text: who + " \u00b7 " + when(m.at) }), m.text,
      ]));
    });
  }

  function overdueBadge() {
    // Text as well as colour: the marker must read without colour vision.
    return h("span", { className: "badge overdue", title: t("overdueHint") }, [h("span", { "aria-hidden": "true", text: "\u26a0 " }), t("overdue")]);
  }

  function deskFilters() {
    var filters = new URLSearchParams();
    [["company", "desk-company"], ["status", "desk-status-filter"], ["type", "desk-type"], ["overdue", "desk-overdue"], ["include_eval", "desk-eval"]].forEach(function (p) {
      if ($(p[1]).value) filters.set(p[0], $(p[1]).value);
    });
    return filters;
  }

  function queueRows() { return Array.prototype.slice.call(document.querySelectorAll("#desk-table tbody tr")); }

  // A whole row opens its ticket: a click anywhere on it (not a text selection), Enter or Space when it has focus;
  // the arrow keys move between rows. The reference stays a real button for screen readers' lists of controls.
  function queueRow(ticket) {
    var ref = h("button", { className: "linkish", type: "button", tabindex: "-1", text: ticket.reference, "aria-label": t("openTicket", { ref: ticket.reference }) });
    var due = h("td", null, [when(ticket.due_at)]);
    if (ticket.overdue) { due.appendChild(document.createTextNode(" ")); due.appendChild(overdueBadge()); }
    var row = h("tr", {
      className: "ticket-row" + (ticket.overdue ? " overdue" : "") + (ticket.reference === openRef ? " selected" : ""),
      tabindex: "0", "data-ref": ticket.reference, "aria-controls": "ticket", "aria-current": ticket.reference === openRef ? "true" : null,
      onclick: function () {
        var selection = window.getSelection && String(window.getSelection());
        if (!selection) openTicket(ticket.reference);
      },
      onkeydown: function (e) {
        if (e.target !== row) return; // the button inside handles its own keys (its click bubbles here)
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openTicket(ticket.reference); return; }
        var rows = queueRows();
        var i = rows.indexOf(row);
        var j = e.key === "ArrowDown" ? i + 1 : e.key === "ArrowUp" ? i - 1 : e.key === "Home" ? 0 : e.key === "End" ? rows.length - 1 : null;
        if (j !== null && rows[j]) { e.preventDefault(); rows[j].focus(); }
      },
    }, [
      h("td", null, [ref]),
      h("td", { text: companyName(ticket.company) }),
      h("td", { text: ticket.proxy ? t("withProxy", { types: listOf(ticket.request_types.map(typeLabel)) }) : listOf(ticket.request_types.map(typeLabel)) }),
      h("td", { className: "ticket-status", text: statusLabel(ticket.status) }),
      due,
    ]);
    return row;
  }

  async function loadQueue() {
    var filters = deskFilters();
    var params = new URLSearchParams(filters);
    params.set("offset", String(deskOffset));
    params.set("limit", String(PAGE));
    var status = $("desk-status");
    var table = $("desk-table");
    var body = table.tBodies[0];
    var seq = ++deskSeq;
    status.textContent = t("loading");
    table.setAttribute("aria-busy", "true");
    try {
      var page = await api("/v1/desk/tickets?" + params.toString());
      if (seq !== deskSeq) return; // a newer load (other filters) is under way: its answer wins
      // Keep the keyboard where it was: a status change reloads the queue under a focused row.
      var focusedRef = document.activeElement && document.activeElement.getAttribute("data-ref");
      body.textContent = "";
      page.items.forEach(function (ticket) { body.appendChild(queueRow(ticket)); });
      if (focusedRef) {
        var again = body.querySelector('tr[data-ref="' + CSS.escape(focusedRef) + '"]');
        if (again) again.focus();
      }
      deskShown = { filters: filters, total: page.total };
      var last = Math.min(page.offset + page.items.length, page.total);
      var late = page.items.filter(function (ticket) { return ticket.overdue; }).length;
      status.textContent = sentences(
        page.total ? t("ticketsRange", { from: page.offset + 1, to: last, total: page.total }) : t("noTickets"),
        late ? t("overdueOnPage", { n: late }) : "",
        meta ? "" : t("metaError"));
      $("desk-page").textContent = page.total ? t("pageOf", { page: Math.floor(page.offset / PAGE) + 1, pages: Math.ceil(page.total / PAGE) }) : "";
      $("desk-prev").disabled = page.offset === 0;
      $("desk-next").disabled = last >= page.total;
    } catch (err) {
      if (seq === deskSeq) status.textContent = t("queueFailed", { detail: err.message });
    } finally {
      if (seq === deskSeq) table.setAttribute("aria-busy", "false");
    }
  }

  // The customer's contact (decrypted for this audited view): where a reply outside the widget goes.
  function contactRows(contact) {
    if (!contact) return [];
    return [[t("contactName"), contact.name], [t("contactEmail"), contact.email], [t("contactPostal"), contact.postal_address],
      [t("contactPhone"), contact.phone]]
      .filter(function (row) { return row[1]; });
  }

  function showTicket(ticket) {
    openRef = ticket.reference;
    var pane = $("ticket");
    pane.hidden = false;
    var title = $("ticket-title");
    title.textContent = "";
    title.appendChild(document.createTextNode(ticket.reference + " "));
    title.appendChild(h("span", { className: "badge ticket-state", text: statusLabel(ticket.status) }));
    if (ticket.overdue) title.appendChild(overdueBadge());
    var dl = $("ticket-meta");
    dl.textContent = "";
    var target = ticket.overdue ? t("targetPassed", { date: when(ticket.due_at) }) : when(ticket.due_at);
    [[t("company"), companyName(ticket.company)], [t("requestTypesLabel"), listOf(ticket.request_types.map(typeLabel))],
      [t("onBehalf"), ticket.proxy ? t("proxyYes") : t("proxyNo")], [t("channel"), label("channels", ticket.channel)],
      [t("received"), when(ticket.created_at)], [t("internalTarget"), target, t("targetHint")],
      [t("lastUpdated"), when(ticket.updated_at)], [t("policyVersion"), ticket.policy_version]].concat(contactRows(ticket.contact)).forEach(function (row) {
      dl.appendChild(h("dt", { text: row[0] }));
      dl.appendChild(h("dd", { text: row[1], title: row[2] || null }));
    });
    $("ticket-message").textContent = ticket.message;
    showThread(ticket.messages || []);
    var events = $("ticket-events");
    events.textContent = "";
    ticket.events.forEach(function (ev) {
      var change = ev.from_status && ev.from_status !== ev.to_status ? statusLabel(ev.from_status) + " \u2192 " + statusLabel(ev.to_status)
        : statusLabel(ev.to_status);
      var note = eventNote(ev);
      events.appendChild(h("li", null, [
        h("strong", { text: change }), " \u00b7 " + ev.actor + " \u00b7 " + when(ev.created_at) + (note ? " \u2014 " : ""),
        note ? h("span", { text: note }) : null,
      ]));
    });
    var select = $("status-new");
    select.textContent = "";
    var next = NEXT[ticket.status] || [];
    next.forEach(function (s) { select.appendChild(h("option", { value: s, text: statusLabel(s) })); });
    var nextLine = $("ticket-next");
    nextLine.textContent = "";
    nextLine.appendChild(h("strong", { text: statusLabel(ticket.status) }));
    var after = !meta ? t("metaError") : next.length ? t("mayMoveTo", { next: listOf(next.map(statusLabel)) }) : t("closedNoChanges");
    nextLine.appendChild(document.createTextNode(" \u2014 " + after));
    $("status-form").hidden = !next.length;
    $("status-error").hidden = true;
    if (ticket.reference !== shownRef) { $("reply-text").value = ""; $("reply-template").value = ""; $("reply-error").hidden = true; }
    shownRef = ticket.reference;
    queueRows().forEach(function (row) {
      var on = row.getAttribute("data-ref") === ticket.reference;
      row.classList.toggle("selected", on);
      if (on) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
  }

  var opening = 0; // numbers detail loads: a quick second click wins over a slower first one

  async function openTicket(ref) {
    var seq = ++opening;
    try {
      var ticket = await api("/v1/desk/tickets/" + encodeURIComponent(ref));
      if (seq !== opening) return;
      showTicket(ticket);
      $("ticket-title").focus();
    } catch (err) {
      if (seq === opening) $("desk-status").textContent = t("couldNotOpen", { ref: ref, detail: err.message });
    }
  }

  function closeTicket() {
    var ref = openRef;
    openRef = null;
    opening += 1;
    $("ticket").hidden = true;
    queueRows().forEach(function (row) { row.classList.remove("selected"); row.removeAttribute("aria-current"); });
    var row = ref && document.querySelector('#desk-table tbody tr[data-ref="' + CSS.escape(ref) + '"]');
    if (row) row.focus();
  }

  $("ticket-close").addEventListener("click", closeTicket);
  $("ticket").addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.preventDefault(); closeTicket(); }
  });

  // ------------------------------------------------------------------ CSV of the queue shown
  function csvName() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return "tickets-" + d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + ".csv";
  }

  // Fetched with the key as a header and saved from a Blob: a plain link would need the key in its URL.
  async function downloadCsv() {
    var button = $("desk-csv");
    var status = $("desk-status");
    var filters = deskShown ? deskShown.filters : deskFilters();
    button.disabled = true;
    status.textContent = t("preparingCsv");
    try {
      var resp = await call("/v1/desk/tickets.csv" + (filters.toString() ? "?" + filters.toString() : ""), { accept: "text/csv" });
      var blob = await resp.blob();
      var url = URL.createObjectURL(blob);
      var name = csvName();
      var link = h("a", { href: url, download: name, hidden: true });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000); // after the download has surely read it
      status.textContent = !deskShown ? t("downloaded", { name: name })
        : deskShown.total === 1 ? t("downloadedOne", { name: name }) : t("downloadedMany", { name: name, n: deskShown.total });
    } catch (err) {
      status.textContent = t("csvFailed", { detail: err.message });
    } finally {
      button.disabled = false;
    }
  }

  $("desk-csv").addEventListener("click", downloadCsv);

  // ------------------------------------------------------------------ writing to the customer
  async function reloadTicket() {
    if (!openRef) return;
    var ref = openRef;
    var ticket = await api("/v1/desk/tickets/" + encodeURIComponent(ref));
    if (openRef === ref) showTicket(ticket);
  }

  $("reply-template").addEventListener("change", function () {
    var id = $("reply-template").value;
    if (has(TEXT.templateTexts, id)) { $("reply-text").value = TEXT.templateTexts[id]; $("reply-text").focus(); }
  });

  $("thread-refresh").addEventListener("click", function () {
    reloadTicket().catch(function (err) { $("reply-error").textContent = err.message; $("reply-error").hidden = false; });
  });

  $("reply-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    if (!openRef) return;
    var text = $("reply-text").value.trim();
    var error = $("reply-error");
    var button = e.target.querySelector("button[type=submit]");
    error.hidden = true;
    if (!text) { error.textContent = t("writeFirst"); error.hidden = false; return; }
    button.disabled = true;
    try {
      await api("/v1/desk/tickets/" + encodeURIComponent(openRef) + "/messages", { method: "POST", json: { text: text } });
      $("reply-text").value = "";
      $("reply-template").value = "";
      await reloadTicket(); // the message and its audit entry, as stored
      $("desk-status").textContent = t("messageSent", { ref: openRef });
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });

  $("status-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    if (!openRef) return;
    var error = $("status-error");
    error.hidden = true;
    try {
      var ticket = await api("/v1/desk/tickets/" + encodeURIComponent(openRef) + "/status", {
        method: "POST", json: { status: $("status-new").value, note: $("status-note").value },
      });
      $("status-note").value = "";
      showTicket(ticket);
      $("desk-status").textContent = t("nowStatus", { ref: ticket.reference, status: statusLabel(ticket.status) });
      loadQueue();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });

  $("desk-filters").addEventListener("submit", function (e) { e.preventDefault(); deskOffset = 0; loadQueue(); });
  $("desk-prev").addEventListener("click", function () { deskOffset = Math.max(0, deskOffset - PAGE); loadQueue(); });
  $("desk-next").addEventListener("click", function () { deskOffset += PAGE; loadQueue(); });

  // ------------------------------------------------------------------ start
  $("signin-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var value = $("api-key").value.trim();
    if (value) signIn(value, false);
  });
  $("signout").addEventListener("click", function () { signOut(""); });

  var saved = sessionStorage.getItem(KEY_STORE);
  if (saved) signIn(saved, true);
  else $("api-key").focus();
})();
