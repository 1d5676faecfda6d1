// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "/static/vendor/nhsuk/nhsuk-frontend.min.js";

initAll();
