/* Demo page: fill the company picker and embed the widget for the chosen company. */
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var company = (params.get("company") || "").trim();
  var select = document.getElementById("company");
  var base = window.location.origin;

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
