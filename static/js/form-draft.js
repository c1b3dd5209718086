// The operation form keeps what was typed: a draft in sessionStorage (this tab only) on
// every change, restored with a note and a "Discard" button when the page is opened again
// (Back, a reload, a lost connection); and a warning before leaving with unsaved edits.
// Submitting ends both: a saved form needs neither, and a refused one comes back from the
// server with the typed input in it. Signing out clears it (Clear-Site-Data: "storage");
// a TLP:RED form keeps no draft at all.
(function () {
  "use strict";
  var form = document.querySelector("form[data-draft-key]");
  if (!form || !window.sessionStorage) return;
  var key = "jointops-draft:" + form.dataset.draftKey;
  var version = (form.querySelector("input[name=version]") || {}).value || "";
  var skip = {csrf_token: 1, version: 1, row_action: 1, confirm_cancel: 1};
  var dirty = false;
  var submitting = false;

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !skip[el.name] && el.type !== "submit" && el.type !== "button"
        && el.type !== "hidden" && !el.readOnly && !el.disabled;
    });
  }

  function snapshot() {
    var values = Object.create(null);  // keyed by field names: no prototype to reach
    fields().forEach(function (el) {
      values[el.name] = el.type === "checkbox" ? el.checked : el.value;
    });
    return values;
  }

  // A TLP:RED operation is never kept in the browser, not even for this tab: the warning
  // before leaving is all that guards its unsaved edits.
  function red() {
    var tlp = form.querySelector("[name=tlp]");
    return Boolean(tlp && tlp.value === "RED");
  }

  function store() {
    if (red()) { forget(); return; }
    try {
      sessionStorage.setItem(key, JSON.stringify({
        version: version, at: new Date().toISOString(), values: snapshot()
      }));
    } catch (err) { /* storage full or refused: the warning on leaving still guards */ }
  }

  function read() {
    try { return JSON.parse(sessionStorage.getItem(key) || "null"); } catch (err) { return null; }
  }

  function forget() {
    try { sessionStorage.removeItem(key); } catch (err) { /* nothing kept */ }
  }

  function restore(draft) {
    var changed = 0;
    fields().forEach(function (el) {
      if (!Object.prototype.hasOwnProperty.call(draft.values, el.name)) return;
      var value = draft.values[el.name];
      if (el.type === "checkbox") {
        if (el.checked !== Boolean(value)) { el.checked = Boolean(value); changed++; }
      } else if (el.value !== value) {
        el.value = value;
        changed++;
        el.dispatchEvent(new Event("input", {bubbles: true}));
      }
    });
    return changed;
  }

  function showNote(draft) {
    var note = document.getElementById("draft-note");
    if (!note) return;
    var when = new Date(draft.at);
    var text = note.querySelector("[data-draft-text]");
    // The page carries both phrasings in the reader's language ({time} stands for HH:MM).
    var phrase = isNaN(when) ? text.getAttribute("data-plain") : text.getAttribute("data-at");
    text.textContent = phrase ? phrase.replace("{time}", isNaN(when) ? "" : when.toISOString().slice(11, 16)) :
      "We restored your unsaved draft" + (isNaN(when) ? "" :
      " from " + when.toISOString().slice(11, 16) + " UTC") + ": nothing of it is saved yet.";
    note.hidden = false;
  }

  // A page the server sent back with errors, a conflict or an impact to confirm carries
  // the typed input already: it wins over an older draft, which it replaces.
  var returned = document.querySelector("#error-summary, #edit-impact, [data-form-conflict]");
  var draft = read();
  if (returned) {
    dirty = true;
    store();
  } else if (draft && draft.values && draft.version === version && restore(draft) > 0) {
    dirty = true;
    showNote(draft);
  } else if (draft) {
    forget();
  }

  function changed() {
    dirty = true;
    store();
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function (event) {
    // A row button (add or remove a site or requirement) only redraws the rows.
    var by = event.submitter;
    if (by && by.name === "row_action") return;
    submitting = true;
    forget();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#draft-discard");
    if (!button) return;
    forget();
    dirty = false;
    window.location.reload();
  });

  window.addEventListener("beforeunload", function (event) {
    if (!dirty || submitting) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
