// On a wide screen the filters are a sidebar: open their disclosure, which a phone keeps
// closed behind the "Filter" control.  Without JavaScript the control works everywhere.
(function () {
  var filters = document.querySelector(".filter-disclosure");
  if (!filters || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 48rem)");
  function apply() { if (wide.matches) filters.open = true; }
  apply();
  if (wide.addEventListener) wide.addEventListener("change", apply);
})();
