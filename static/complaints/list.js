// Case list: code fields suggest codes as you type (年费 → B030202 年费) in their <datalist>;
// the server resolves words the same way, so typing words and pressing 查询 works without this.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) return;
  var url = form.dataset.taxonomyUrl;
  Array.prototype.forEach.call(form.querySelectorAll("[data-code-axis]"), function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null, seq = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim(), mine = ++seq;
        if (!q) { list.innerHTML = ""; return; }
        fetch(url + "?limit=10&axis=" + input.dataset.codeAxis + "&q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) {
            if (mine !== seq) return;  // a newer keystroke won
            list.innerHTML = "";
            data.results.forEach(function (row) {
              var option = document.createElement("option");
              option.value = row.code;
              option.label = row.label;
              option.textContent = row.label;
              list.appendChild(option);
            });
          });
      }, 150);
    });
  });
  // Bulk actions: a "select all on this page" box in the table head.
  var table = document.getElementById("case-table");
  var head = table && table.querySelector("th.pick");
  if (head) {
    var all = document.createElement("input");
    all.type = "checkbox";
    all.id = "pick-all";
    all.setAttribute("aria-label", head.textContent.trim());
    head.appendChild(all);
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(table.querySelectorAll("td.pick input[type=checkbox]"), function (box) { box.checked = all.checked; });
    });
  }
})();
