// The checks that run on a 390-px phone (tests/browser/axe.py).
(minimum) => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    const wide = [];
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (box.right <= width + 1 || box.width === 0) continue;
      let clipped = false;
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (style.overflowX !== "visible" || style.position === "fixed") { clipped = true; break; }
      }
      if (!clipped && !wide.some((w) => w.contains(el))) wide.push(el);
    }
    if (wide.length === 0) {  // everything wide is inside a box: name the widest boxes
      const all = [...document.body.querySelectorAll("*")].filter((el) => el.getBoundingClientRect().right > width + 1);
      all.sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right);
      wide.push(...all.filter((el, i) => i < 3 || el.parentElement === document.body).slice(0, 5));
    }
    const names = wide.slice(0, 5).map((el) => {
      const cls = typeof el.className === "string" && el.className ? "." + el.className.split(/\s+/).join(".") : "";
      return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${cls} (right edge ${Math.round(el.getBoundingClientRect().right)} px)`;
    });
    problems.push(`the page is ${document.documentElement.scrollWidth} px wide on a ${width}-px screen: ${names.join(", ")}`);
  }
  for (const text of document.querySelectorAll("svg text")) {
    if (text.getClientRects().length === 0) continue;  // not drawn (hidden, or a closed disclosure)
    const m = text.getScreenCTM();
    if (!m) continue;
    const size = parseFloat(getComputedStyle(text).fontSize) * Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
    if (size < minimum - 0.05) {
      problems.push(`SVG text "${text.textContent.trim().slice(0, 40)}" is ${size.toFixed(1)} px on a phone (at least ${minimum})`);
    }
  }
  return problems;
}
