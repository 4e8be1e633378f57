/* Search-as-you-type pickers for code fields (intake's A/B/C codes, root cause on the case page,
   the remediation's responsible organisation): <input data-picker-url="/…/search/?axis=C">.
   Type a code or words; ↑/↓ and Enter, or tap an option. The server still checks what is sent
   (a leaf code, an organisation in scope): the picker only helps to find it.
   The endpoint answers {"results": [{"code": …, "label": "code name"}, …]}.
   An input already inside a server-rendered <div class="picker"> with its .code-name and
   .picker-list (intake, which renders the chosen code's name after an error) keeps them;
   otherwise they are built here. Choosing fires "code-picked" and "change" on the input. */
(function () {
  "use strict";
  var counter = 0;

  function setup(input) {
    if (input.dataset.pickerReady) return;
    input.dataset.pickerReady = "1";
    var n = ++counter;
    input.setAttribute("autocomplete", "off");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    var wrap = input.parentNode;
    var list = wrap.classList.contains("picker") ? wrap.querySelector(".picker-list") : null;
    var nameEl = list ? wrap.querySelector(".code-name") : null;
    if (!list || !nameEl) {
      wrap = document.createElement("div");
      wrap.className = "picker";
      input.parentNode.insertBefore(wrap, input);
      wrap.appendChild(input);
      nameEl = document.createElement("span");
      nameEl.className = "code-name muted";
      nameEl.setAttribute("aria-live", "polite");
      list = document.createElement("ul");
      list.className = "picker-list";
      list.setAttribute("role", "listbox");
      list.hidden = true;
      wrap.appendChild(nameEl);
      wrap.appendChild(list);
    }
    if (!list.id) list.id = "picker-list-" + n;
    input.setAttribute("aria-controls", list.id);
    var items = [], active = -1, timer = null, seq = 0;
    var url = input.dataset.pickerUrl;

    function close() { list.hidden = true; active = -1; input.setAttribute("aria-expanded", "false"); }
    function choose(item) {
      input.value = item.code;
      nameEl.textContent = item.label.slice(item.code.length).trim();
      close();
      input.dispatchEvent(new Event("code-picked", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function render() {
      list.innerHTML = "";
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = list.id + "-" + i;
        li.textContent = item.label;
        li.dataset.code = item.code;
        if (i === active) { li.setAttribute("aria-selected", "true"); input.setAttribute("aria-activedescendant", li.id); }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(item); });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", String(!list.hidden));
    }
    function search() {
      var q = input.value.trim();
      var mine = ++seq;
      if (!q) { items = []; nameEl.textContent = ""; render(); return; }
      var sep = url.indexOf("?") >= 0 ? "&" : "?";
      fetch(url + sep + "q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          if (mine !== seq) return;  // a newer keystroke won
          items = data.results || []; active = items.length ? 0 : -1; render();
          var exact = items.filter(function (i) { return i.code.toUpperCase() === q.toUpperCase(); })[0];
          nameEl.textContent = exact ? exact.label.slice(exact.code.length).trim() : "";
        });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 120); });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { active = Math.min(active + 1, items.length - 1); render(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = Math.max(active - 1, 0); render(); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0) { choose(items[active]); e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function scan() { Array.prototype.forEach.call(document.querySelectorAll("input[data-picker-url]"), setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan); else scan();
})();
