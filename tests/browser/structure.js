// The page checks that run at every width (tests/browser/axe.py).
() => {
  const problems = [];
  const clean = (s) => (s || "").replace(/\s+/g, " ").trim().toLowerCase();
  const labelText = (el) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll(".label__mark, .visually-hidden").forEach((n) => n.remove());
    return clean(copy.textContent).replace(/\((optional|required)\)$/, "").replace(/:$/, "").trim();
  };
  for (const el of document.querySelectorAll("[aria-describedby]")) {
    for (const id of el.getAttribute("aria-describedby").split(/\s+/).filter(Boolean)) {
      if (!document.getElementById(id)) {
        problems.push(`aria-describedby names #${id}, which does not exist (on ${el.tagName.toLowerCase()}#${el.id})`);
      }
    }
  }
  for (const item of document.querySelectorAll(".error-summary li")) {
    const link = item.querySelector("a[href^='#']");
    if (!link) { problems.push(`error summary entry "${clean(item.textContent)}" links nowhere`); continue; }
    const id = decodeURIComponent(link.getAttribute("href").slice(1));
    const target = document.getElementById(id);
    if (!target) { problems.push(`error summary links to #${id}, which does not exist`); continue; }
    if (link.dataset.scope === "form") continue;  // a problem with the whole form
    const labels = [];
    document.querySelectorAll(`label[for="${CSS.escape(id)}"]`).forEach((l) => labels.push(labelText(l)));
    const by = target.getAttribute("aria-labelledby");
    if (by) by.split(/\s+/).forEach((i) => { const l = document.getElementById(i); if (l) labels.push(labelText(l)); });
    if (target.getAttribute("aria-label")) labels.push(clean(target.getAttribute("aria-label")));
    if (target.tagName === "LEGEND") labels.push(labelText(target));
    const fieldset = target.tagName === "FIELDSET" ? target : target.closest("fieldset");
    if (fieldset && fieldset.querySelector("legend")) labels.push(labelText(fieldset.querySelector("legend")));
    const text = clean(link.textContent);
    if (!labels.some((l) => l && text.includes(l))) {
      problems.push(`error summary entry "${text}" does not name its field (${labels.join(" / ") || "no label found"})`);
    }
  }
  const walker = document.createTreeWalker(document.querySelector("main") || document.body, NodeFilter.SHOW_TEXT);
  // Error messages and hints may quote what is to be uploaded or typed (a CSV's columns).
  const skip = "CODE, PRE, KBD, SAMP, TEXTAREA, SCRIPT, STYLE, TITLE, DESC, .visually-hidden, "
    + "[aria-hidden='true'], .error-summary, .error-message, .hint";
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const found = node.textContent.match(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/);
    if (found && !node.parentElement.closest(skip)) {
      problems.push(`a raw code "${found[0]}" is shown as text: give it a label (core.labels), or put it in <code>`);
    }
  }
  const forms = [...document.querySelectorAll("form")].filter((f) => (f.getAttribute("method") || "get").toLowerCase() === "post");
  return {
    problems,
    forms: forms.map((f) => ({
      action: f.getAttribute("action") || location.pathname,
      confirmed: !!f.querySelector(`input[name="${CONFIRM_FIELD}"]`),
    })),
    confirmPage: !!document.querySelector("[data-confirm-page]"),
    consequence: clean((document.querySelector("#confirm-consequences") || {}).textContent || ""),
  };
}
