// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "/static/vendor/nhsuk/nhsuk-frontend.min.js";

initAll();

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
