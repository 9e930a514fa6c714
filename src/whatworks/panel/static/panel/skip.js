// Skip logic as the member answers: a question with data-show-if (its conditions, as the
// server wrote them) is hidden until they hold.  Without this script every question on the
// page stays visible, marked "Answer this only if…", and the server drops answers to
// questions whose conditions do not hold; nothing depends on it.
(function () {
  "use strict";
  function answerOf(form, name) {
    var values = [];
    var fields = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if ((f.type === "radio" || f.type === "checkbox") ? f.checked : f.value !== "") {
        values.push(f.value);
      }
    }
    return values;
  }
  function holds(form, rule) {
    // a condition on an earlier page has no field here: the server already applied it
    if (!form.querySelector('[name="' + rule.name + '"]')) { return true; }
    return answerOf(form, rule.name).indexOf(rule.value) !== -1;
  }
  function update(form) {
    var blocks = form.querySelectorAll("[data-show-if]");
    for (var i = 0; i < blocks.length; i++) {
      var rules = JSON.parse(blocks[i].getAttribute("data-show-if"));
      var results = rules.when.map(function (rule) { return holds(form, rule); });
      var shown = rules.match === "any"
        ? results.indexOf(true) !== -1
        : results.indexOf(false) === -1;
      blocks[i].hidden = !shown;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) {
      var form = forms[i];
      if (!form.querySelector("[data-show-if]")) { continue; }
      form.addEventListener("change", function (event) { update(event.currentTarget); });
      update(form);
    }
  });
})();
