// The page checks that run at every width (tests/browser/axe.py).  `codes`: the stored codes
// (choices' values) whose labels differ from them, which must never be a text by themselves.
(codes) => {
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
  const known = new Set(codes || []);
  // English words joined by hyphens that may stand alone (everything else alone is a slug)
  const words = new Set(["e-mail", "e-mails", "follow-up", "sign-in", "log-in", "opt-in", "opt-out", "set-up", "co-production"]);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest(skip)) continue;
    const text = node.textContent.trim();
    const found = node.textContent.match(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/);
    let code = found ? found[0] : null;
    if (!code && /^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$/.test(text) && !words.has(text)) code = text;  // a slug (not a date)
    if (!code && known.has(text)) code = text;  // a stored code, e.g. "notmet"
    if (code) {
      problems.push(`a raw code "${code}" is shown as text: give it a label (core.labels), or put it in <code>`);
    }
  }
  // A chart's legend names exactly what it draws: data-legend="k" beside data-series="k".
  for (const svg of document.querySelectorAll("svg")) {
    const legend = new Set([...svg.querySelectorAll("[data-legend]")].map((e) => e.dataset.legend));
    const drawn = new Set([...svg.querySelectorAll("[data-series]")]
      .filter((e) => [...e.querySelectorAll("*")].some((m) => !["text", "title", "desc"].includes(m.tagName.toLowerCase())))
      .map((e) => e.dataset.series));
    const name = ((svg.querySelector("title") || {}).textContent || "").trim().slice(0, 50);
    for (const k of legend) if (!drawn.has(k)) problems.push(`chart "${name}": the legend names "${k}", which is not drawn`);
    if (legend.size) for (const k of drawn) if (!legend.has(k)) problems.push(`chart "${name}": "${k}" is drawn but not in the legend`);
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
