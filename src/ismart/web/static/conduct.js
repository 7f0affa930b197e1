// CTCAE term search for the adverse-event form: fills the datalist from /web/ctcae-terms and shows
// the grades the chosen term defines. Without JavaScript the page's own term search works.
(function () {
  "use strict";
  var input = document.getElementById("f-term");
  var list = document.getElementById("ctcae-terms");
  var grades = document.getElementById("term-grades");
  if (!input || !list) { return; }
  var found = {};
  var timer = null;
  var last = "";
  function show() {
    var t = found[input.value];
    if (grades) { grades.textContent = t ? t.term + " (" + t.soc + "): grades " + t.grades.join(", ") : ""; }
  }
  function search() {
    var q = input.value.trim();
    if (q.length < 2 || q === last) { show(); return; }
    last = q;
    fetch(input.getAttribute("data-search") + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (terms) {
        while (list.firstChild) { list.removeChild(list.firstChild); }
        terms.forEach(function (t) {
          found[t.term] = t;
          var option = document.createElement("option");
          option.value = t.term;
          option.label = t.soc;
          list.appendChild(option);
        });
        show();
      })
      .catch(function () { /* the server validates the term anyway */ });
  }
  input.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(search, 150);
  });
  input.addEventListener("change", show);
})();
