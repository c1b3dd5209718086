// Small screens: the main navigation behind a menu button, one board column at a time,
// and tables whose rows read as cards (each cell labelled with its column's heading).
// Without this script the navigation simply stays open and tables scroll sideways.
(function () {
  "use strict";
  // --- the menu button --------------------------------------------------------------
  function setupMenu() {
    var button = document.getElementById("menu-button");
    var bar = button && button.closest(".topbar");
    if (!bar) return;
    bar.classList.add("has-menu");
    button.hidden = false;
    function set(open) {
      bar.classList.toggle("menu-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      set(open);
      if (open) {
        var first = document.querySelector("#main-nav a");
        if (first) first.focus();
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        set(false);
        button.focus();
      }
    });
  }

  // --- tables that reflow -----------------------------------------------------------
  function label(root) {
    var tables = (root || document).querySelectorAll(
      "main .table-wrap table, main table.times, main table.reflow");
    Array.prototype.forEach.call(tables, function (table) {
      var head = table.tHead && table.tHead.rows[0];
      if (!head) return;
      var names = Array.prototype.map.call(head.cells, function (cell) {
        return cell.textContent.trim();
      });
      table.classList.add("reflow");
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            if (!cell.hasAttribute("data-label") && names[column]) {
              cell.setAttribute("data-label", names[column]);
            }
            column += cell.colSpan || 1;
          });
        });
      });
    });
  }

  // --- the board's column switcher --------------------------------------------------
  // All columns at first (nothing hidden that the reader did not ask to hide).
  var chosen = "";
  function applyColumn() {
    var pick = document.getElementById("board-col-pick");
    var columns = document.querySelectorAll("#board-columns .board-col");
    if (!pick || !columns.length) return;
    pick.value = chosen;
    if (pick.value !== chosen) { chosen = ""; pick.value = ""; }
    Array.prototype.forEach.call(columns, function (col) {
      col.classList.toggle("col-off", chosen !== "" && col.dataset.state !== chosen);
    });
  }
  function setupBoard() {
    var pick = document.getElementById("board-col-pick");
    if (!pick) return;
    pick.closest(".col-switch").hidden = false;
    pick.addEventListener("change", function () {
      chosen = pick.value;
      applyColumn();
    });
    applyColumn();
  }

  function start() {
    setupMenu();
    label(document);
    setupBoard();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  // Fragments swapped in by htmx (the board's columns every 15 s, filtered lists).
  document.addEventListener("htmx:afterSettle", function (event) {
    label(event.target);
    applyColumn();
  });
})();
