/* Behaviour shared by every page. The Content-Security-Policy allows no inline script or
   event handler, so markup asks for behaviour with data- attributes. */
(function () {
  // <select data-submit-on-change>: submit its form on change (the language switch).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("select[data-submit-on-change]") && el.form) { el.form.submit(); }
  });
})();
