// After htmx swaps in the next statement, the button just pressed is gone and focus has
// fallen back to the page: move it to the new statement, so that keyboard and
// screen-reader users hear it and Tab reaches its buttons next.
document.addEventListener("htmx:afterSettle", function () {
  var card = document.getElementById("vote-card");
  var active = document.activeElement;
  if (!card || (active && active !== document.body && document.contains(active))) { return; }
  var target = card.querySelector("[data-focus]");
  if (target) { target.focus(); }
});

// A vote refused for coming too fast (429) still swaps in the card, which says so.
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 429) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
