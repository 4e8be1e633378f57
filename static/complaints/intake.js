// Agent intake: keyboard-first code pickers (type a code or words, ↑/↓, Enter),
// recently used chips, "link as repeat" buttons, Ctrl+Enter to submit, no double submit.
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) return;
  var url = form.dataset.taxonomyUrl;

  function setupPicker(input) {
    var axis = input.dataset.codePicker;
    var list = document.getElementById("list-" + input.name);
    var nameEl = document.getElementById("name-" + input.name);
    var items = [], active = -1, timer = null, seq = 0;

    function close() { list.hidden = true; active = -1; input.setAttribute("aria-expanded", "false"); }
    function choose(item) {
      input.value = item.code;
      nameEl.textContent = item.name_zh;
      close();
      input.dispatchEvent(new Event("code-picked", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function render() {
      list.innerHTML = "";
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = input.name + "-opt-" + i;
        li.textContent = item.code + " " + item.name_zh + (item.parent ? "" : "");
        li.dataset.code = item.code;
        if (i === active) li.setAttribute("aria-selected", "true");
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(item); });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", String(!list.hidden));
    }
    function search() {
      var q = input.value.trim();
      var mine = ++seq;
      if (!q) { items = []; render(); return; }
      fetch(url + "?selectable=1&limit=12&axis=" + axis + "&q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          if (mine !== seq) return;  // a newer keystroke won
          items = data.results; active = items.length ? 0 : -1; render();
          var exact = items.filter(function (i) { return i.code === q.toUpperCase(); })[0];
          nameEl.textContent = exact ? exact.name_zh : "";
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
  Array.prototype.forEach.call(form.querySelectorAll("[data-code-picker]"), setupPicker);

  form.addEventListener("click", function (e) {
    var chip = e.target.closest("[data-fill]");
    if (chip) {
      var input = document.getElementById(chip.dataset.fill);
      input.value = chip.dataset.code;
      document.getElementById("name-" + input.name).textContent = chip.dataset.name;
      input.dispatchEvent(new Event("code-picked", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    var link = e.target.closest("[data-link-repeat]");
    if (link) {
      form.querySelector("[name=repeat_of]").value = link.dataset.linkRepeat;
      Array.prototype.forEach.call(form.querySelectorAll("[data-link-repeat]"), function (b) { b.classList.remove("primary"); });
      link.classList.add("primary");
      link.textContent = link.textContent.replace(/^关联$/, "已关联");
    }
  });
  // The number lookup's answer brings the name and title fields back (prefilled for a returning
  // customer), built from what the request carried. What the agent changed since the fields were
  // rendered (typed or chosen while it was on its way) wins: copied into the incoming fields.
  form.addEventListener("htmx:oobBeforeSwap", function (e) {
    var incoming = e.detail.fragment;
    if (!incoming || !e.detail.target || e.detail.target.id !== "customer-identity") return;
    var liveName = document.getElementById("id_customer_name");
    var newName = incoming.querySelector("#id_customer_name");
    if (liveName && newName && liveName.value !== liveName.defaultValue) {
      newName.value = liveName.value;
      newName.setAttribute("value", liveName.value);
    }
    var liveTitle = form.querySelector("input[name=customer_title]:checked");
    if (liveTitle && !liveTitle.defaultChecked) {
      Array.prototype.forEach.call(incoming.querySelectorAll("input[name=customer_title]"), function (r) {
        r.checked = r.value === liveTitle.value;
        if (r.checked) { r.setAttribute("checked", ""); } else { r.removeAttribute("checked"); }
      });
    }
  });
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", function () {
    // One click, one case: the server's form token is the real guard; this avoids the second request.
    var btn = document.getElementById("submit-intake");
    setTimeout(function () { btn.disabled = true; }, 0);
  });
  var channel = document.getElementById("id_channel");
  var reg = document.getElementById("regulator-fields");
  function toggleRegulator() { reg.hidden = channel.value !== "regulator"; }
  channel.addEventListener("change", toggleRegulator);
  toggleRegulator();
})();
