/* The dossier form's verdict, updated as fields are filled in.
 *
 * A form with data-verdict-url posts itself there (debounced, nothing is stored) and the answer,
 * an HTML fragment rendered by the server from the same screening the "Check verdict" button runs,
 * replaces the content of the element named by data-verdict-target (an aria-live region, so a
 * screen reader hears the new verdict). Without this script the button does the same by a full
 * page load. Served by the app (the pages' CSP allows no inline or external script).
 */
(function () {
  "use strict";
  var DELAY_MS = 500;

  function start(form) {
    var url = form.getAttribute("data-verdict-url");
    var region = document.getElementById(form.getAttribute("data-verdict-target") || "");
    if (!url || !region) {
      return;
    }
    var timer = null;
    var sent = 0;
    var pending = null;

    function update() {
      var mine = ++sent;
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      region.setAttribute("aria-busy", "true");
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "Accept": "text/html" },
        signal: pending.signal
      }).then(function (answer) {
        if (answer.redirected) {
          // the session ended (idle, or the account changed): show the sign-in page and its message
          window.location.assign(answer.url);
          return null;
        }
        return answer.text();
      }).then(function (html) {
        if (html === null || mine !== sent) {
          return;
        }
        region.innerHTML = html;
        region.setAttribute("aria-busy", "false");
        form.setAttribute("data-verdict-updates", String(mine));
      }).catch(function (error) {
        if (error.name !== "AbortError") {
          region.setAttribute("aria-busy", "false");
        }
      });
    }

    function later(event) {
      if (event.target && event.target.type === "file") {
        return;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(update, DELAY_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  if (!window.fetch || !window.FormData || !window.AbortController) {
    return; // the "Check verdict" button still works
  }
  var forms = document.querySelectorAll("form[data-verdict-url]");
  for (var i = 0; i < forms.length; i++) {
    start(forms[i]);
  }
})();
