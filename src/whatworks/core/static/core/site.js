// whatworks — the one script, progressive enhancement only: every page works without it.

// Move focus to the error summary when a page shows one (GOV.UK pattern), so that
// screen-reader users hear what went wrong at once.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector('[data-module="error-summary"]');
  if (summary) { summary.focus(); }
});

// Charts and wide tables on narrow screens (docs/interface.md, "Charts" and "Tables").
// A table that its template did not put in a .table-wrap gets one here.
// Without this script a chart shrinks to the screen.  With it, a chart keeps the size it
// was drawn at, so that its text stays readable, inside a box that scrolls sideways; a
// box (chart or .table-wrap) that does scroll gets keyboard focus, a name and a visible
// cue saying so.
(function () {
  function label(box) {
    var title = box.querySelector("svg > title");
    var caption = box.querySelector("caption");
    var text = (title || caption || {}).textContent || "Wide content";
    return text.replace(/\s+/g, " ").trim();
  }
  function update(box) {
    var cue = box.previousElementSibling;
    if (!cue || !cue.classList.contains("scroll-cue")) {
      cue = document.createElement("p");
      cue.className = "scroll-cue";
      cue.setAttribute("aria-hidden", "true");
      cue.textContent = "Scroll sideways to see all of it \u2192";
      box.parentNode.insertBefore(cue, box);
    }
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    cue.hidden = !scrolls;
    if (scrolls) {
      box.setAttribute("tabindex", "0");
      if (!box.hasAttribute("role")) { box.setAttribute("role", "region"); box.dataset.addedRole = "1"; }
      if (!box.hasAttribute("aria-label")) {
        box.setAttribute("aria-label", label(box) + " (scrolls sideways)");
        box.dataset.addedLabel = "1";
      }
    } else if (box.dataset.addedRole) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      delete box.dataset.addedRole;
      if (box.dataset.addedLabel) { box.removeAttribute("aria-label"); delete box.dataset.addedLabel; }
    }
  }
  function boxes() {
    var main = document.getElementById("main-content");
    if (!main) { return []; }
    main.querySelectorAll('svg[role="img"]').forEach(function (svg) {
      if (svg.closest(".chart-scroll") || svg.closest("summary, button, a")) { return; }
      if (svg.getAttribute("width") && parseFloat(svg.getAttribute("width")) <= 48) { return; }
      var box = document.createElement("div");
      box.className = "chart-scroll";
      svg.parentNode.insertBefore(box, svg);
      box.appendChild(svg);
    });
    main.querySelectorAll("table").forEach(function (table) {
      if (table.closest(".table-wrap, .chart-scroll")) { return; }
      var box = document.createElement("div");
      box.className = "table-wrap";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
    return main.querySelectorAll(".chart-scroll, .table-wrap");
  }
  function run() { boxes().forEach(update); }
  document.addEventListener("DOMContentLoaded", run);
  window.addEventListener("resize", run);
  document.addEventListener("toggle", run, true);  // a <details> opened: its tables now have a size
  document.addEventListener("htmx:afterSettle", run);
})();
