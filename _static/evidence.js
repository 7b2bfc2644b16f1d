// Evidence tooltips (see briefing/evidence.py): each note mark is followed by a hidden
// <span class="evidence-tip"> holding the source and the supporting passage. CSS shows it on
// hover and keyboard focus; this script ties it to the mark for screen readers, opens it on
// the first tap on touch screens (a second tap follows the link to the note), keeps it inside
// the window and closes it with Escape. Nothing is loaded from anywhere.
(function () {
  "use strict";
  function closeAll(except) {
    document.querySelectorAll("span.evidence-tip.open").forEach(function (tip) {
      if (tip !== except) tip.classList.remove("open");
    });
  }
  function place(tip) {
    tip.style.marginLeft = "0px";
    var rect = tip.getBoundingClientRect();
    var overflow = rect.right - (document.documentElement.clientWidth - 8);
    if (overflow > 0) tip.style.marginLeft = -Math.min(overflow, Math.max(rect.left - 8, 0)) + "px";
  }
  function init() {
    var touch = window.matchMedia("(hover: none)");
    document.querySelectorAll("span.evidence-tip").forEach(function (tip, index) {
      var mark = tip.previousElementSibling;
      if (!mark || !mark.classList.contains("footnote-reference")) return;
      tip.id = tip.id || "evidence-tip-" + (index + 1);
      tip.setAttribute("role", "tooltip");
      mark.setAttribute("aria-describedby", tip.id);
      ["mouseenter", "focus"].forEach(function (name) {
        mark.addEventListener(name, function () { place(tip); });
      });
      mark.addEventListener("click", function (event) {
        if (touch.matches && !tip.classList.contains("open")) {
          event.preventDefault();
          closeAll(tip);
          tip.classList.add("open");
          place(tip);
        }
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        closeAll(null);
        var active = document.activeElement;
        if (active && active.classList && active.classList.contains("footnote-reference")) active.blur();
      }
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest || !event.target.closest(".footnote-reference, .evidence-tip")) closeAll(null);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
