// Behaviour that pages declare with data- attributes, so that no template needs an inline handler
// (the Content-Security-Policy allows no inline script without a nonce, and no on* attributes at all).
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // A colour from the database, set through the CSSOM (allowed by the policy) rather than a style attribute.
  document.querySelectorAll("[data-border-colour]").forEach(function (element) {
    element.style.borderTop = "6px solid " + element.dataset.borderColour;
  });
})();
