// The plan timeline (templates/planning/_timeline.html): zoom and pan with the buttons or
// the keys (+ and - zoom, the left and right arrows pan, 0 shows the whole plan), and a
// bar's tooltip on keyboard focus, on touch and on hover. The server draws the whole plan
// for the first paint and without JavaScript; every bar carries its instants (data-s,
// data-e, Unix seconds), so zooming only places them again. Times are in UTC.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"];
  var SHORT = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec"];
  // Other languages name days and months as the page's language does (issue 11), in the
  // Gregorian calendar with Western digits, as app/i18n.py's Babel does on the server.
  var LANG = document.documentElement.lang || "en";
  var LOCAL = null;
  if (LANG !== "en" && window.Intl) {
    try {
      var tag = LANG + "-u-ca-gregory-nu-latn";
      LOCAL = {
        day: new Intl.DateTimeFormat(tag, {timeZone: "UTC", day: "numeric", month: "short"}),
        month: new Intl.DateTimeFormat(tag, {timeZone: "UTC", year: "numeric", month: "long"})
      };
    } catch (e) { LOCAL = null; }
  }
  var STEPS = [900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
  var MIN_SPAN = 3600;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function dayMonth(d) {
    return LOCAL ? LOCAL.day.format(d) : pad(d.getUTCDate()) + " " + SHORT[d.getUTCMonth()];
  }

  function monthYear(d) {
    return LOCAL ? LOCAL.month.format(d) : MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }

  function tickLabel(seconds) {
    var d = new Date(seconds * 1000);
    if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) {
      return dayMonth(d);
    }
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  function stamp(seconds) {
    var d = new Date(seconds * 1000);
    return dayMonth(d) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + "Z";
  }

  function months(a, b) {
    var x = new Date(a * 1000), y = new Date(b * 1000);
    var first = monthYear(x), last = monthYear(y);
    return first === last ? first : first + " – " + last;
  }

  function setup(box) {
    if (box.getAttribute("data-tl-ready")) return;
    box.setAttribute("data-tl-ready", "yes");
    var full0 = +box.getAttribute("data-start"), full1 = +box.getAttribute("data-end");
    var now = +box.getAttribute("data-now");
    var width = +box.getAttribute("data-width"), label = +box.getAttribute("data-label-width");
    var svg = box.querySelector("svg.timeline");
    var wrap = box.querySelector(".timeline-wrap");
    var tip = box.querySelector(".tl-tip");
    var month = box.querySelector(".tl-month");
    var range = box.querySelector(".tl-range");
    var ticks = box.querySelector(".tl-ticks");
    var showing = box.getAttribute("data-showing") || "Showing %(start)s to %(end)s";
    var height = +svg.getAttribute("viewBox").split(" ")[3];
    var view = [full0, full1];

    function x(seconds) {
      return label + (width - label) * (seconds - view[0]) / (view[1] - view[0]);
    }

    function draw() {
      box.setAttribute("data-view-start", String(view[0]));
      box.setAttribute("data-view-end", String(view[1]));
      Array.prototype.forEach.call(box.querySelectorAll(".tl-bar"), function (bar) {
        var a = x(+bar.getAttribute("data-s")), b = x(+bar.getAttribute("data-e"));
        var rect = bar.querySelector("rect"), text = bar.querySelector("text");
        var w = Math.max(b - a, 0.8);
        rect.setAttribute("x", a.toFixed(1));
        rect.setAttribute("width", w.toFixed(1));
        if (text) {
          // A name is shown where it fits in the visible part of its bar.
          var left = Math.max(a, label), shown = Math.min(b, width) - left;
          text.setAttribute("x", (left + 2).toFixed(1));
          text.setAttribute("visibility", shown > 30 ? "visible" : "hidden");
        }
      });
      while (ticks.firstChild) ticks.removeChild(ticks.firstChild);
      var span = view[1] - view[0];
      var step = STEPS[STEPS.length - 1];
      for (var i = 0; i < STEPS.length; i++) {
        if (span / STEPS[i] <= 12) { step = STEPS[i]; break; }
      }
      for (var t = Math.ceil(view[0] / step) * step; t <= view[1]; t += step) {
        var line = document.createElementNS(SVG, "line");
        line.setAttribute("class", "tl-tick");
        line.setAttribute("x1", x(t).toFixed(1)); line.setAttribute("x2", x(t).toFixed(1));
        line.setAttribute("y1", "14"); line.setAttribute("y2", String(height));
        var text = document.createElementNS(SVG, "text");
        text.setAttribute("class", "tl-ticklabel");
        text.setAttribute("x", (x(t) + 2).toFixed(1)); text.setAttribute("y", "11");
        text.textContent = tickLabel(t);
        ticks.appendChild(line); ticks.appendChild(text);
      }
      var nowGroup = box.querySelector(".tl-now");
      if (nowGroup) {
        var inside = now && now >= view[0] && now <= view[1];
        nowGroup.setAttribute("visibility", inside ? "visible" : "hidden");
        if (inside) {
          var nl = nowGroup.querySelector("line"), nt = nowGroup.querySelector("text");
          nl.setAttribute("x1", x(now).toFixed(1)); nl.setAttribute("x2", x(now).toFixed(1));
          nt.setAttribute("x", (x(now) + 2).toFixed(1));
        }
      }
      month.textContent = months(view[0], view[1]);
      // The words come translated from the page (data-showing), the times from stamp().
      range.textContent = showing.replace("%(start)s", stamp(view[0]))
        .replace("%(end)s", stamp(view[1]));
      hide();
    }

    function clamp(a, b) {
      var span = Math.min(b - a, full1 - full0);
      if (a < full0) { a = full0; }
      if (a + span > full1) { a = full1 - span; }
      view = [a, a + span];
    }

    function act(what) {
      var span = view[1] - view[0], mid = (view[0] + view[1]) / 2;
      if (what === "in") {
        var half = Math.max(span / 4, MIN_SPAN / 2);
        clamp(mid - half, mid + half);
      } else if (what === "out") {
        clamp(mid - span, mid + span);
      } else if (what === "left") {
        clamp(view[0] - span / 4, view[1] - span / 4);
      } else if (what === "right") {
        clamp(view[0] + span / 4, view[1] + span / 4);
      } else {
        view = [full0, full1];
      }
      draw();
    }

    function show(bar) {
      tip.textContent = bar.getAttribute("aria-label");
      tip.hidden = false;
      var outer = box.getBoundingClientRect(), inner = bar.getBoundingClientRect();
      var left = Math.min(Math.max(inner.left - outer.left, 0), Math.max(outer.width - 320, 0));
      tip.style.left = left + "px";
      tip.style.top = (inner.bottom - outer.top + 4) + "px";
    }

    function hide() { tip.hidden = true; }

    box.querySelector(".tl-controls").hidden = false;
    box.querySelector(".tl-controls").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-tl]");
      if (button) act(button.getAttribute("data-tl"));
    });
    wrap.addEventListener("keydown", function (event) {
      var keys = {"+": "in", "=": "in", "-": "out", "_": "out", "ArrowLeft": "left",
                  "ArrowRight": "right", "0": "reset", "Home": "reset"};
      if (event.key === "Escape") { hide(); return; }
      var what = keys[event.key];
      if (!what || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      act(what);
    });
    wrap.addEventListener("focusin", function (event) {
      var bar = event.target.closest && event.target.closest(".tl-bar");
      if (bar) show(bar); else hide();
    });
    wrap.addEventListener("focusout", hide);
    // Touch: a tap focuses the bar (which shows its tooltip); a tap elsewhere hides it.
    wrap.addEventListener("pointerdown", function (event) {
      var bar = event.target.closest && event.target.closest(".tl-bar");
      if (bar && event.pointerType !== "mouse") { bar.focus(); show(bar); }
    });
    wrap.addEventListener("mouseover", function (event) {
      var bar = event.target.closest && event.target.closest(".tl-bar");
      if (bar) show(bar);
    });
    wrap.addEventListener("mouseleave", function () {
      if (!wrap.contains(document.activeElement)) hide();
    });
    draw();
  }

  function init(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-timeline]"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // The run page is refreshed by htmx while a solve runs: set up what it swaps in.
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
