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
