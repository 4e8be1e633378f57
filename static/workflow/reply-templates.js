/* Reply templates in the draft-decision form: a tap puts the template's text into the decision
   (into an empty box, or after what is there), for the handler to edit before drafting. */
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var chip = e.target.closest ? e.target.closest("[data-reply-template]") : null;
    if (!chip) return;
    var box = document.getElementById(chip.dataset.target);
    if (!box) return;
    var text = chip.dataset.body || "";
    box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
