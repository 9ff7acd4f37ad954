// The request form: show the chosen category's fields, and suggest a category from the text.
(function () {
  "use strict";
  var form = document.getElementById("new-request");
  if (!form) return;
  var select = document.getElementById("category");
  var hint = document.getElementById("suggestion");
  function showFields() {
    document.querySelectorAll("fieldset.attributes").forEach(function (box) {
      box.hidden = box.dataset.category !== select.value;
      box.disabled = box.hidden;
    });
  }
  select.addEventListener("change", showFields);
  var timer = null;
  function suggest() {
    var text = (form.title.value + " " + form.description.value).trim();
    if (text.length < 6) { hint.textContent = ""; return; }
    fetch("/api/v1/desk/suggest?text=" + encodeURIComponent(text.slice(0, 2000)), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (found) {
        if (!found || !found.category) { hint.textContent = ""; return; }
        hint.textContent = "平台推荐类别：" + found.name + "（依据：" + (found.terms || "—") + "）";
        hint.dataset.category = found.category;
        if (!select.value) { select.value = found.category; showFields(); }
      })
      .catch(function () { hint.textContent = ""; });
  }
  ["input", "change"].forEach(function (kind) {
    form.description.addEventListener(kind, function () { clearTimeout(timer); timer = setTimeout(suggest, 500); });
    form.title.addEventListener(kind, function () { clearTimeout(timer); timer = setTimeout(suggest, 500); });
  });
})();
