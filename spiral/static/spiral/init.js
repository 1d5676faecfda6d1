// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "/static/vendor/nhsuk/nhsuk-frontend.min.js";

initAll();

// A chart's points (spiral.core.chartpoints) are one stop in the tab order, not one each: Tab reaches
// the first point, the arrow keys (and Home, End) move between them, each showing its tooltip.
// Without JavaScript every point is a stop of its own.
for (const chart of document.querySelectorAll("svg")) {
  const points = [...chart.querySelectorAll(".spiral-svg-point")];
  if (points.length < 2) continue;
  points.forEach((point, i) => point.setAttribute("tabindex", i === 0 ? "0" : "-1"));
  chart.addEventListener("keydown", (event) => {
    const at = points.indexOf(event.target.closest(".spiral-svg-point"));
    if (at < 0) return;
    const to = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1,
                 Home: 0, End: points.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = points[Math.max(0, Math.min(points.length - 1, to))];
    points[at].setAttribute("tabindex", "-1");
    next.setAttribute("tabindex", "0");
    next.focus();
  });
}

// A table's scroll box (.spiral-table-scroll) is a tab stop only while it has something to scroll, so a
// keyboard can scroll it on a phone without an empty stop on a wide screen.
const scrollBoxes = [...document.querySelectorAll(".spiral-table-scroll")];
const fitScrollBoxes = () => {
  for (const box of scrollBoxes) {
    if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
    else box.removeAttribute("tabindex");
  }
};
if (scrollBoxes.length) {
  fitScrollBoxes();
  window.addEventListener("resize", fitScrollBoxes);
}
