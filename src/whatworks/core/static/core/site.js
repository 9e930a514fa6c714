// Move focus to the error summary when a page shows one (GOV.UK pattern), so that
// screen-reader users hear what went wrong at once.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector('[data-module="error-summary"]');
  if (summary) { summary.focus(); }
});
