// Keyboard focus survives htmx swaps (issue 11, "Keyboard and phone"): the board's
// refresh every 15 s, a run's progress poll, an inbox decision. A swap that replaces the
// focused element would otherwise leave focus on <body>, and a keyboard or screen-reader
// user would have to start again from the top of the page.
//
// Before a swap we note where focus is, if it is inside the region being replaced; after
// the swap settles we put it back on the same element (by id), else on its counterpart in
// the new content (same link, same named field, same form's button, same position), else
// on the region's first focusable element, else on the region or <main>. Focus that was
// elsewhere is left alone.
(function () {
  "use strict";
  var FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden])," +
    " select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";
  var saved = null;

  function visible(el) {
    return !el.hidden && !el.closest("[hidden]") && el.getClientRects().length > 0;
  }
  function focusables(region) {
    return Array.prototype.filter.call(region.querySelectorAll(FOCUSABLE), visible);
  }
  function lost() {
    var active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }
  function formAction(el) {
    return el.form ? el.form.getAttribute("action") || "" : "";
  }

  function describe(el, region) {
    var typed = el.tagName === "INPUT" || el.tagName === "TEXTAREA";
    return {
      regionId: region.id, id: el.id, tag: el.tagName, href: el.getAttribute("href"),
      name: el.getAttribute("name"), value: typed ? null : el.getAttribute("value"),
      action: formAction(el), text: (el.textContent || "").trim(),
      index: focusables(region).indexOf(el),
      selection: typed && typeof el.selectionStart === "number"
        ? [el.selectionStart, el.selectionEnd] : null
    };
  }

  function counterpart(d, region) {
    if (d.id) {
      var same = document.getElementById(d.id);
      if (same && visible(same) && region.contains(same)) return same;
    }
    var list = focusables(region);
    var kin = list.filter(function (el) { return el.tagName === d.tag; });
    var tests = [
      function (el) { return d.href && el.getAttribute("href") === d.href; },
      function (el) {
        return d.name && el.getAttribute("name") === d.name &&
          (d.value === null || el.getAttribute("value") === d.value) &&
          formAction(el) === d.action;
      },
      function (el) { return d.action && formAction(el) === d.action && el.textContent.trim() === d.text; }
    ];
    for (var i = 0; i < tests.length; i++) {
      var found = kin.filter(tests[i]);
      if (found.length) return found[0];
    }
    if (d.index >= 0 && d.index < list.length) return list[d.index];
    return list[0] || null;
  }

  function place(el, d) {
    if (!el.hasAttribute("tabindex") && !el.matches(FOCUSABLE)) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: true });
    if (d && d.selection && el.setSelectionRange && el.value !== undefined) {
      try { el.setSelectionRange(d.selection[0], d.selection[1]); } catch (e) { /* type without selection */ }
    }
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var region = event.detail.target;
    var active = document.activeElement;
    saved = null;
    if (region && active && active !== document.body && region.contains(active)) {
      // A region without an id cannot be found again after an outerHTML swap: its
      // parent, which the swap leaves in place, stands in for it.
      var anchor = region.id ? region : (region.parentElement || document.body);
      if (!anchor.id) anchor = document.getElementById("main") || document.body;
      saved = describe(active, anchor);
    }
  });

  function restore() {
    var d = saved;
    saved = null;
    if (!d || !lost()) return;
    var region = (d.regionId && document.getElementById(d.regionId)) || document.getElementById("main");
    if (!region) return;
    var el = counterpart(d, region);
    place(el || region, d);
  }
  document.addEventListener("htmx:afterSettle", restore);
})();
