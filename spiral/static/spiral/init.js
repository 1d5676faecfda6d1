// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "/static/vendor/nhsuk/nhsuk-frontend.min.js";

initAll();

// The start-a-project form: similar work is listed as the title and aim are typed (without JavaScript
// the form's "Check for similar work" button re-renders the form with the same list).
const similar = document.getElementById("similar-work");
if (similar && similar.dataset.similarUrl) {
  const form = similar.closest("form");
  const fields = ["unit", "title", "aim", "problem", "aim_measure"];
  let timer = null;
  let asked = "";
  const refresh = async () => {
    const query = new URLSearchParams();
    for (const name of fields) {
      const field = form.elements.namedItem(name);
      if (field && field.value) query.set(name, field.value);
    }
    const wanted = query.toString();
    if (wanted === asked) return;
    asked = wanted;
    try {
      const response = await fetch(`${similar.dataset.similarUrl}?${wanted}`, {
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
