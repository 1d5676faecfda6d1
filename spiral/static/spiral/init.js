// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "/static/vendor/nhsuk/nhsuk-frontend.min.js";

initAll();

// The start-a-project and add-an-idea forms: similar work is listed as it is typed (without JavaScript
// the form's "Check for similar work" button re-renders the form with the same list). The fields that
// count are the container's data-similar-fields (the project form's by default).
const similar = document.getElementById("similar-work");
if (similar && similar.dataset.similarUrl) {
  const form = similar.closest("form");
  const fields = (similar.dataset.similarFields || "unit title aim problem aim_measure").split(" ");
  let timer = null;
  let asked = "";
  const refresh = async () => {
    // The form as typed (with its CSRF token), sent by POST: nothing typed goes into an address.
    const body = new FormData(form);
    body.delete("check_similar");
    const wanted = fields.map((name) => body.get(name) || "").join("\u0000");
    if (wanted === asked) return;
    asked = wanted;
    try {
      const response = await fetch(similar.dataset.similarUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (response.ok && asked === wanted) similar.innerHTML = await response.text();
    } catch {
      // Offline or refused: the button still checks by sending the form.
    }
  };
  form.addEventListener("input", (event) => {
    if (!fields.includes(event.target.name)) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 600);
  });
  const check = document.getElementById("check-similar");
  if (check) {
    check.addEventListener("click", (event) => {
      event.preventDefault();
      asked = "";
      refresh();
    });
  }
}

// Choosing, not typing: a <select data-spiral-autocomplete> (the units or people a form offers) becomes
// the NHS.UK autocomplete, accessible-autocomplete enhancing the select. Without JavaScript, or before the
// script arrives, the plain select works. The script and its styles load only on pages that have one.
const AUTOCOMPLETE = "/static/vendor/autocomplete/accessible-autocomplete.min";

function enhance(select) {
  window.accessibleAutocomplete.enhanceSelectElement({
    selectElement: select,
    defaultValue: "",
    showAllValues: true,
    minLength: 0,
    autoselect: true,
    displayMenu: "overlay",
    tNoResults: () => "Nothing matches: try part of the name or the code",
    tStatusQueryTooShort: (n) => `Type in ${n} or more characters for results`,
  });
}

const selects = document.querySelectorAll("select[data-spiral-autocomplete]");
if (selects.length) {
  const style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = `${AUTOCOMPLETE}.css`;
  document.head.appendChild(style);
  const script = document.createElement("script");
  script.src = `${AUTOCOMPLETE}.js`;
  script.addEventListener("load", () => selects.forEach(enhance));
  document.head.appendChild(script);
}

// A record page's print button (hidden without JavaScript: the browser's Print does the same).
document.querySelectorAll("button[data-spiral-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

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

// A page that reloads itself to show the latest (a huddle board on a wall screen, a job's progress):
// whoever is in front of it can stop that and start it again (a time limit a person can turn off, WCAG
// 2.2.1). Without JavaScript the page's <noscript> refresh does the reloading.
const wall = document.querySelector("[data-reload-seconds]");
if (wall) {
  const seconds = Number(wall.dataset.reloadSeconds) || 300;
  const toggle = wall.querySelector("[data-reload-toggle]");
  const state = wall.querySelector("[data-reload-state]");
  const said = state ? state.textContent : "";
  let timer = setTimeout(() => window.location.reload(), seconds * 1000);
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      if (timer) {
        clearTimeout(timer);
        timer = null;
        toggle.textContent = "Start reloading";
        if (state) state.textContent = toggle.dataset.stopped || "reloading is stopped";
      } else {
        timer = setTimeout(() => window.location.reload(), seconds * 1000);
        toggle.textContent = "Stop reloading";
        if (state) state.textContent = said;
      }
    });
  }
}
