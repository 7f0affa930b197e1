/* ismart response entry: the category is computed by the server as the form is filled.
   Posts the form (debounced) to the page's category endpoint and shows the returned fragment.
   Without this script the form still works: "Show category" and "Record assessment" submit it. */
(function () {
  "use strict";
  var form = document.getElementById("response-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var target = document.getElementById("computed-body");
  var url = form.getAttribute("data-category-url");
  var timer = null;
  var sent = 0;

  function showDisease() {
    var disease = form.elements.disease.value;
    var sets = form.querySelectorAll("fieldset[data-disease]");
    for (var i = 0; i < sets.length; i += 1) {
      sets[i].hidden = sets[i].getAttribute("data-disease") !== disease;
    }
  }

  function update() {
    var mine = (sent += 1);
    target.setAttribute("aria-busy", "true");
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (answer) {
        if (answer.redirected) { throw new Error("Your session ended: reload the page and sign in again."); }
        if (!answer.ok) { throw new Error("The category could not be computed just now: press Show category."); }
        return answer.text();
      })
      .then(function (html) {
        if (mine === sent) { target.innerHTML = html; }
      })
      .catch(function (problem) {
        if (mine === sent) { target.textContent = problem.message; }
      })
      .then(function () {
        if (mine === sent) { target.setAttribute("aria-busy", "false"); }
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 300);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "disease") { showDisease(); }
    later();
  });
  form.setAttribute("data-live", "on");
  showDisease();
  update();
}());
