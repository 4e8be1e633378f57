// Agent intake: recently used code chips, "link as repeat" buttons, Ctrl+Enter to submit, no
// double submit. The keyboard-first code pickers are static/js/code-picker.js (loaded first).
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) return;
  // The A/B/C code fields are static/js/code-picker.js pickers (data-picker-url), as elsewhere.

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
