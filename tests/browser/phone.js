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
  // A chart is drawn for the room it has (a narrow variant on a phone): it never scrolls
  // sideways inside a box, nor sticks out of the screen.
  for (const svg of document.querySelectorAll('svg[role="img"]')) {
    if (svg.getClientRects().length === 0) continue;  // not drawn (the other variant)
    const box = svg.getBoundingClientRect();
    if (box.width <= 48) continue;  // an icon
    const name = ((svg.querySelector("title") || {}).textContent || svg.getAttribute("aria-label") || "").trim().slice(0, 50);
    let scroller = null;
    for (let up = svg.parentElement; up && up !== document.body; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if ((overflow === "auto" || overflow === "scroll") && up.scrollWidth > up.clientWidth + 1) { scroller = up; break; }
    }
    if (scroller) {
      problems.push(`chart "${name}" is ${Math.round(box.width)} px wide and scrolls sideways in a ${scroller.clientWidth}-px box on a phone (draw a narrow variant)`);
    } else if (box.right > width + 1 || box.left < -1) {
      problems.push(`chart "${name}" sticks out of the ${width}-px screen (${Math.round(box.left)} to ${Math.round(box.right)} px)`);
    }
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
