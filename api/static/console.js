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
    return isNaN(d.getTime()) ? String(iso) : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function companyName(id) {
    var c = companies.filter(function (x) { return x.id === id; })[0];
    return c ? c.short_name : id;
  }

  function policyUrl(cite) {
    var p = new URLSearchParams({ company: cite.company, doc: cite.doc_id, start: cite.start, end: cite.end, v: cite.version });
    return "/policy?" + p.toString();
  }

  // ------------------------------------------------------------------ API
  function ApiError(status, detail) { this.status = status; this.message = detail; }

  // The response of a call with the key as a header (never in the URL); an ApiError unless it is 2xx.
  async function call(path, opts) {
    opts = opts || {};
    var headers = { "X-API-Key": key, Accept: opts.accept || "application/json" };
    if (opts.json !== undefined) headers["Content-Type"] = "application/json";
    var resp;
    try {
      resp = await fetch(path, { method: opts.method || "GET", headers: headers,
        body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined });
    } catch (e) {
      throw new ApiError(0, "could not reach the server; check the connection and retry");
    }
    if (!resp.ok) {
      var body = null;
      try { body = await resp.json(); } catch (e) { /* not JSON */ }
      var detail = body && typeof body.detail === "string" ? body.detail : resp.statusText || "request failed";
      if (resp.status === 401 && !opts.signingIn) signOut("Your key is no longer accepted: sign in again.");
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
        $("signin-error").textContent = err.status === 401 ? "That key was not accepted." : "Could not sign in: " + err.message;
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
    $("who-label").textContent = "Signed in as " + me.actor + " \u00b7 " +
      (me.all_companies ? "all companies" : companies.map(function (c) { return c.short_name; }).join(", "));
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
    return (c ? c.name : cite.company) + " \u2014 " + cite.section + (cite.page ? ", p. " + cite.page : "") +
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
    status.textContent = "Searching\u2026";
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
            h("span", { className: "section-path", text: cite.section + (cite.page ? " \u00b7 p. " + cite.page : "") }),
          ]),
          h("p", { className: "clause" }, clauseWithCitation(hit.clause, cite.text, pattern)),
          h("div", { className: "hit-actions" }, [
            h("button", {
              className: "btn secondary small copy", type: "button", text: "Copy citation",
              "aria-label": "Copy citation: " + companyName(cite.company) + ", " + cite.section,
              onclick: async function () {
                copied.textContent = (await copyText(citationText(cite))) ? "Copied." : "Could not copy; select the text instead.";
              },
            }),
            h("a", { href: policyUrl(cite), target: "_blank", rel: "noopener", text: "Open in policy" }),
            copied,
          ]),
        ]);
        list.appendChild(item);
      });
      status.textContent = res.hits.length ? res.hits.length + " clause(s) found." : "No clause matches.";
    } catch (err) {
      status.textContent = "Search failed: " + err.message;
    }
  });

  // ------------------------------------------------------------------ (b) compare
  function compareCell(company) {
    var cell = h("section", { className: "cell", "aria-label": company.name, "data-company": company.id, "aria-busy": "true" }, [
      h("h3", null, [h("span", { text: company.short_name }), h("span", { className: "badge", text: "asking\u2026" })]),
    ]);
    return cell;
  }

  function fillCell(cell, reply) {
    cell.setAttribute("aria-busy", "false");
    var badge = cell.querySelector(".badge");
    badge.textContent = reply.route === "abstain" ? "not stated" : human(reply.route);
    badge.className = "badge route-" + reply.route;
    if (reply.route === "abstain") {
      cell.classList.add("abstain");
      cell.appendChild(h("p", { className: "not-stated", text: "Not stated" }));
      cell.appendChild(h("p", { className: "answer muted", text: reply.answer }));
      return;
    }
    cell.appendChild(h("p", { className: "answer", text: reply.answer }));
    if (reply.ticket) cell.appendChild(h("p", { className: "muted", text: "Opened desk ticket " + reply.ticket.id }));
    if (reply.citations.length) {
      var ol = h("ol", { "aria-label": "Citations" });
      reply.citations.forEach(function (c) {
        ol.appendChild(h("li", { value: String(c.id) }, [
          h("a", { href: policyUrl(c), target: "_blank", rel: "noopener", text: c.section || "clause" }),
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
    status.textContent = "Asking " + companies.length + " companies\u2026";
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
        cell.querySelector(".badge").textContent = "error";
        cell.appendChild(h("p", { className: "error", text: err.message }));
      }
    }));
    button.disabled = false;
    status.textContent = "Answered for " + (companies.length - failures) + " of " + companies.length + " companies.";
  });

  // ------------------------------------------------------------------ (c) desk queue
  var META_ERROR = "The status and request-type choices could not be loaded; reload the page to retry.";

  async function loadMeta() {
    if (meta) return;
    try {
      meta = await api("/v1/meta");
    } catch (err) {
      $("desk-status").textContent = META_ERROR + " (" + err.message + ")";
      return;
    }
    meta.statuses.forEach(function (s) {
      NEXT[s.id] = s.next;
      $("desk-status-filter").appendChild(h("option", { value: s.id, text: human(s.id) }));
    });
    meta.request_types.forEach(function (t) { $("desk-type").appendChild(h("option", { value: t.id, text: t.label })); });
    $("compare-q").setAttribute("maxlength", String(meta.limits.max_message_chars));
    $("status-note").setAttribute("maxlength", String(meta.limits.max_note_chars));
    $("reply-text").setAttribute("maxlength", String(meta.limits.max_note_chars));
  }

  // Reply templates for the conversation pane; staff edit them before sending.
  var TEMPLATES = [
    ["received", "Received", "We have received your request and are looking into it. We will write to you here when there is news."],
    ["identity", "Ask for ID", "To confirm your identity, please send a copy of an identity document (for example a driver's licence or passport) " +
      "as our privacy policy describes. We will continue as soon as it arrives."],
    ["form", "Ask for the form", "Please send the formal request form as our privacy policy describes; this message is not yet the formal request itself."],
    ["done", "Completed", "We have completed your request. Thank you for your patience."],
  ];
  TEMPLATES.forEach(function (tpl) { $("reply-template").appendChild(h("option", { value: tpl[0], text: tpl[1] })); });

  function showThread(messages) {
    var list = $("ticket-thread");
    list.textContent = "";
    if (!messages.length) {
      list.appendChild(h("li", { className: "empty", text: "No messages yet. Write to the customer below." }));
      return;
    }
    messages.forEach(function (m) { // oldest first, as the API gives them
      var who = m.from === "desk" ? "Desk" : "Customer";
      list.appendChild(h("li", { className: m.from === "desk" ? "desk" : "customer" }, [
        h("span", { className: "who", text: who + " \u00b7 " + when(m.at) }), m.text,
      ]));
    });
  }

  var OVERDUE_HINT = "Still open past the desk's internal target";

  function overdueBadge() {
    // Text as well as colour: the marker must read without colour vision.
    return h("span", { className: "badge overdue", title: OVERDUE_HINT }, [h("span", { "aria-hidden": "true", text: "\u26a0 " }), "Overdue"]);
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
  function queueRow(t) {
    var ref = h("button", { className: "linkish", type: "button", tabindex: "-1", text: t.reference, "aria-label": "Open ticket " + t.reference });
    var due = h("td", null, [when(t.due_at)]);
    if (t.overdue) { due.appendChild(document.createTextNode(" ")); due.appendChild(overdueBadge()); }
    var row = h("tr", {
      className: "ticket-row" + (t.overdue ? " overdue" : "") + (t.reference === openRef ? " selected" : ""),
      tabindex: "0", "data-ref": t.reference, "aria-controls": "ticket", "aria-current": t.reference === openRef ? "true" : null,
      onclick: function () {
        var selection = window.getSelection && String(window.getSelection());
        if (!selection) openTicket(t.reference);
      },
      onkeydown: function (e) {
        if (e.target !== row) return; // the button inside handles its own keys (its click bubbles here)
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openTicket(t.reference); return; }
        var rows = queueRows();
        var i = rows.indexOf(row);
        var j = e.key === "ArrowDown" ? i + 1 : e.key === "ArrowUp" ? i - 1 : e.key === "Home" ? 0 : e.key === "End" ? rows.length - 1 : null;
        if (j !== null && rows[j]) { e.preventDefault(); rows[j].focus(); }
      },
    }, [
      h("td", null, [ref]),
      h("td", { text: companyName(t.company) }),
      h("td", { text: t.request_types.map(human).join(", ") + (t.proxy ? " (proxy)" : "") }),
      h("td", { className: "ticket-status", text: human(t.status) }),
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
    status.textContent = "Loading\u2026";
    table.setAttribute("aria-busy", "true");
    try {
      var page = await api("/v1/desk/tickets?" + params.toString());
      if (seq !== deskSeq) return; // a newer load (other filters) is under way: its answer wins
      // Keep the keyboard where it was: a status change reloads the queue under a focused row.
      var focusedRef = document.activeElement && document.activeElement.getAttribute("data-ref");
      body.textContent = "";
      page.items.forEach(function (t) { body.appendChild(queueRow(t)); });
      if (focusedRef) {
        var again = body.querySelector('tr[data-ref="' + CSS.escape(focusedRef) + '"]');
        if (again) again.focus();
      }
      deskShown = { filters: filters, total: page.total };
      var last = Math.min(page.offset + page.items.length, page.total);
      var late = page.items.filter(function (t) { return t.overdue; }).length;
      status.textContent = page.total ? "Tickets " + (page.offset + 1) + "\u2013" + last + " of " + page.total + "." : "No tickets match.";
      if (late) status.textContent += " " + late + " overdue on this page.";
      if (!meta) status.textContent += " " + META_ERROR;
      $("desk-page").textContent = page.total ? "Page " + (Math.floor(page.offset / PAGE) + 1) + " of " + Math.ceil(page.total / PAGE) : "";
      $("desk-prev").disabled = page.offset === 0;
      $("desk-next").disabled = last >= page.total;
    } catch (err) {
      if (seq === deskSeq) status.textContent = "Could not load the queue: " + err.message;
    } finally {
      if (seq === deskSeq) table.setAttribute("aria-busy", "false");
    }
  }

  // The customer's contact (decrypted for this audited view): where a reply outside the widget goes.
  function contactRows(contact) {
    if (!contact) return [];
    return [["Name", contact.name], ["E-mail", contact.email], ["Postal address", contact.postal_address], ["Telephone", contact.phone]]
      .filter(function (row) { return row[1]; });
  }

  function showTicket(t) {
    openRef = t.reference;
    var pane = $("ticket");
    pane.hidden = false;
    var title = $("ticket-title");
    title.textContent = "";
    title.appendChild(document.createTextNode(t.reference + " "));
    title.appendChild(h("span", { className: "badge ticket-state", text: human(t.status) }));
    if (t.overdue) title.appendChild(overdueBadge());
    var dl = $("ticket-meta");
    dl.textContent = "";
    var target = when(t.due_at) + (t.overdue ? " (passed)" : "");
    [["Company", companyName(t.company)], ["Request types", t.request_types.map(human).join(", ")],
      ["On behalf of someone else", t.proxy ? "yes (proxy request)" : "no"], ["Channel", t.channel], ["Received", when(t.created_at)],
      ["Internal target", target, "The desk's own target (due_days), not a deadline from the policy"], ["Last updated", when(t.updated_at)],
      ["Policy version", t.policy_version]].concat(contactRows(t.contact)).forEach(function (row) {
      dl.appendChild(h("dt", { text: row[0] }));
      dl.appendChild(h("dd", { text: row[1], title: row[2] || null }));
    });
    $("ticket-message").textContent = t.message;
    showThread(t.messages || []);
    var events = $("ticket-events");
    events.textContent = "";
    t.events.forEach(function (ev) {
      var change = ev.from_status && ev.from_status !== ev.to_status ? human(ev.from_status) + " \u2192 " + human(ev.to_status) : human(ev.to_status);
      events.appendChild(h("li", null, [
        h("strong", { text: change }), " \u00b7 " + ev.actor + " \u00b7 " + when(ev.created_at) + (ev.note ? " \u2014 " : ""),
        ev.note ? h("span", { text: ev.note }) : null,
      ]));
    });
    var select = $("status-new");
    select.textContent = "";
    var next = NEXT[t.status] || [];
    next.forEach(function (s) { select.appendChild(h("option", { value: s, text: human(s) })); });
    var nextLine = $("ticket-next");
    nextLine.textContent = "";
    nextLine.appendChild(h("strong", { text: human(t.status) }));
    if (!meta) nextLine.appendChild(document.createTextNode(" \u2014 " + META_ERROR));
    else if (next.length) nextLine.appendChild(document.createTextNode(" \u2014 may move to: " + next.map(human).join(", ") + "."));
    else nextLine.appendChild(document.createTextNode(" \u2014 closed: no further status changes."));
    $("status-form").hidden = !next.length;
    $("status-error").hidden = true;
    if (t.reference !== shownRef) { $("reply-text").value = ""; $("reply-template").value = ""; $("reply-error").hidden = true; }
    shownRef = t.reference;
    queueRows().forEach(function (row) {
      var on = row.getAttribute("data-ref") === t.reference;
      row.classList.toggle("selected", on);
      if (on) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
  }

  var opening = 0; // numbers detail loads: a quick second click wins over a slower first one

  async function openTicket(ref) {
    var seq = ++opening;
    try {
      var t = await api("/v1/desk/tickets/" + encodeURIComponent(ref));
      if (seq !== opening) return;
      showTicket(t);
      $("ticket-title").focus();
    } catch (err) {
      if (seq === opening) $("desk-status").textContent = "Could not open " + ref + ": " + err.message;
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
    status.textContent = "Preparing the CSV\u2026";
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
      status.textContent = "Downloaded " + name + (deskShown ? " (" + deskShown.total + " ticket" + (deskShown.total === 1 ? "" : "s") + ")." : ".");
    } catch (err) {
      status.textContent = "Could not download the CSV: " + err.message;
    } finally {
      button.disabled = false;
    }
  }

  $("desk-csv").addEventListener("click", downloadCsv);

  // ------------------------------------------------------------------ writing to the customer
  async function reloadTicket() {
    if (!openRef) return;
    var ref = openRef;
    var t = await api("/v1/desk/tickets/" + encodeURIComponent(ref));
    if (openRef === ref) showTicket(t);
  }

  $("reply-template").addEventListener("change", function () {
    var tpl = TEMPLATES.filter(function (x) { return x[0] === $("reply-template").value; })[0];
    if (tpl) { $("reply-text").value = tpl[2]; $("reply-text").focus(); }
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
    if (!text) { error.textContent = "Write a message first."; error.hidden = false; return; }
    button.disabled = true;
    try {
      await api("/v1/desk/tickets/" + encodeURIComponent(openRef) + "/messages", { method: "POST", json: { text: text } });
      $("reply-text").value = "";
      $("reply-template").value = "";
      await reloadTicket(); // the message and its audit entry, as stored
      $("desk-status").textContent = "Message sent to the customer of " + openRef + ".";
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
      var t = await api("/v1/desk/tickets/" + encodeURIComponent(openRef) + "/status", {
        method: "POST", json: { status: $("status-new").value, note: $("status-note").value },
      });
      $("status-note").value = "";
      showTicket(t);
      $("desk-status").textContent = t.reference + " is now " + human(t.status) + ".";
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
