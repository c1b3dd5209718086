// The operation form keeps what was typed: a draft in sessionStorage (this tab only) on
// every change, restored with a note and a "Discard" button when the page is opened again
// (Back, a reload, a lost connection); and a warning before leaving with unsaved edits.
// Submitting ends both: a saved form needs neither, and a refused one comes back from the
// server with the typed input in it. Signing out clears it (Clear-Site-Data: "storage");
// a TLP:RED form keeps no draft at all.
//
// The draft is stored encrypted (AES-256-GCM, ASVS 5.0 14.3.3): the key comes with each
// form page (data-draft-secret, derived from the signed-in session on the server), is
// taken out of the page at once and held only as a non-extractable CryptoKey. Once the
// session ends no page brings that key again, so a draft left behind cannot be read.
// Without Web Crypto (a page not served over HTTPS) nothing is kept: the warning before
// leaving still guards.
(function () {
  "use strict";
  var form = document.querySelector("form[data-draft-key]");
  if (!form) return;
  var key = "jointops-draft:" + form.dataset.draftKey;
  var secret = form.getAttribute("data-draft-secret") || "";
  form.removeAttribute("data-draft-secret");
  var version = (form.querySelector("input[name=version]") || {}).value || "";
  var skip = {csrf_token: 1, version: 1, row_action: 1, confirm_cancel: 1};
  var dirty = false;
  var submitting = false;
  var subtle = window.crypto && window.crypto.subtle;
  var storage = null;
  try { storage = window.sessionStorage; } catch (err) { storage = null; }
  var cryptoKey = (secret && subtle && storage) ? importKey(secret) : null;
  // Each write or removal takes the next number: an encryption that finishes after a
  // later change (or after the form was submitted) writes nothing.
  var generation = 0;

  function bytes(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(text, function (c) { return c.charCodeAt(0); });
  }

  function base64(buffer) {
    var view = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < view.length; i++) text += String.fromCharCode(view[i]);
    return btoa(text);
  }

  function importKey(value) {
    try {
      return subtle.importKey("raw", bytes(value), {name: "AES-GCM"}, false,
        ["encrypt", "decrypt"]).catch(function () { return null; });
    } catch (err) { return null; }
  }

  // The storage key is bound to the ciphertext: a draft of one operation cannot be
  // moved under another's name.
  function algorithm(iv) {
    return {name: "AES-GCM", iv: iv, additionalData: new TextEncoder().encode(key)};
  }

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
    if (!cryptoKey) return;
    var mine = ++generation;
    var plain = new TextEncoder().encode(JSON.stringify({
      version: version, at: new Date().toISOString(), values: snapshot()
    }));
    var iv = window.crypto.getRandomValues(new Uint8Array(12));
    cryptoKey.then(function (k) {
      return k && subtle.encrypt(algorithm(iv), k, plain);
    }).then(function (sealed) {
      if (!sealed || mine !== generation || submitting) return;
      storage.setItem(key, JSON.stringify({iv: base64(iv), data: base64(sealed)}));
    }).catch(function () { /* storage full or refused: the warning on leaving still guards */ });
  }

  // The stored draft, decrypted; null when there is none or it cannot be read (another
  // session's key, an older plain draft, a changed value).
  function read() {
    var kept;
    try { kept = JSON.parse(storage.getItem(key) || "null"); } catch (err) { kept = null; }
    if (!kept || typeof kept.iv !== "string" || typeof kept.data !== "string") {
      return Promise.resolve(null);
    }
    return cryptoKey.then(function (k) {
      return k && subtle.decrypt(algorithm(bytes(kept.iv)), k, bytes(kept.data));
    }).then(function (plain) {
      return plain ? JSON.parse(new TextDecoder().decode(plain)) : null;
    }).catch(function () { return null; });
  }

  function forget() {
    generation++;
    try { if (storage) storage.removeItem(key); } catch (err) { /* nothing kept */ }
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
  if (returned) {
    dirty = true;
    store();
  } else if (cryptoKey) {
    read().then(function (draft) {
      // Typing that began while the draft was being decrypted wins over it.
      if (dirty || submitting) return;
      if (draft && draft.values && draft.version === version && restore(draft) > 0) {
        dirty = true;
        showNote(draft);
      } else {
        forget();
      }
    });
  } else if (storage) {
    forget();  // a draft that can no longer be read is not left behind
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
