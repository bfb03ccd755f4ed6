// The operator console's only script: keyboard shortcuts on the approval
// queue (j/k move, a approve, r reject, e edit). Everything works without it.
(function () {
  "use strict";
  function drafts() { return Array.prototype.slice.call(document.querySelectorAll("article.draft")); }
  var current = -1;
  function focusDraft(i) {
    var list = drafts();
    if (!list.length) { return; }
    if (i < 0) { i = 0; }
    if (i >= list.length) { i = list.length - 1; }
    list.forEach(function (d) { d.classList.remove("current"); });
    current = i;
    list[i].classList.add("current");
    list[i].focus();
    list[i].scrollIntoView({ block: "nearest" });
  }
  function inField(e) {
    var t = e.target && e.target.tagName;
    return t === "INPUT" || t === "TEXTAREA" || t === "SELECT";
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || inField(e) || !drafts().length) { return; }
    var d = drafts()[current < 0 ? 0 : current];
    if (e.key === "j") { focusDraft(current + 1); e.preventDefault(); }
    else if (e.key === "k") { focusDraft(current - 1); e.preventDefault(); }
    else if (e.key === "a" && d) { var b = d.querySelector('[data-key="approve"]'); if (b) { b.click(); } e.preventDefault(); }
    else if (e.key === "r" && d) { var r = d.querySelector('[data-key="reason"]'); if (r) { r.focus(); } e.preventDefault(); }
    else if (e.key === "e" && d) { var x = d.querySelector("details.edit"); if (x) { x.open = true; var t = x.querySelector("textarea"); if (t) { t.focus(); } } e.preventDefault(); }
  });
  document.addEventListener("DOMContentLoaded", function () { if (drafts().length) { focusDraft(0); } });
})();
