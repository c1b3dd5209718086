// "Copy" buttons: copy the text of the element named by data-copy, and say so beside it.
// Delegated, so buttons in fragments swapped in by htmx work too.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.copy + "-copied");
    if (!source || !navigator.clipboard) {
      if (status) status.textContent = "Select the address and copy it by hand.";
      return;
    }
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      if (status) status.textContent = "Copied.";
    }, function () {
      if (status) status.textContent = "Could not copy: select the address and copy it by hand.";
    });
  });
})();
