// Live echo of a typed local time: what it is in UTC and in the board's other zones.
// The server renders the same text (app/operations/forms.py `echo`) for the first paint
// and without JavaScript; this only keeps it current while the user types or switches
// the zone. The zones of the region have no daylight saving, but the conversion below
// does not assume it.
(function () {
  "use strict";
  // The hint in the reader's language comes with the page (the output's data-hint, made by
  // app/operations/forms.py `time_hint`); the English is for a page that lacks it.
  var HINT = "Type the date and 24-hour time as YYYY-MM-DD HH:MM, e.g. 2026-12-02 21:30";
  var PATTERN = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::\d{2})?$/;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function wall(ms, zone) {
    // The wall-clock fields of the instant `ms` in `zone`.
    var format = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit"
    });
    var parts = Object.create(null);  // keyed by part types: no prototype to reach
    format.formatToParts(new Date(ms)).forEach(function (p) { parts[p.type] = p.value; });
    return parts;
  }

  function offsetMinutes(ms, zone) {
    var p = wall(ms, zone);
    var asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute);
    return Math.round((asUtc - Math.floor(ms / 60000) * 60000) / 60000);
  }

  function parse(text) {
    var m = PATTERN.exec(text.trim());
    if (!m) return null;
    var y = +m[1], mo = +m[2], d = +m[3], h = +m[4], mi = +m[5];
    var ms = Date.UTC(y, mo - 1, d, h, mi);
    var back = new Date(ms);
    // 2026-02-30 or 25:00 are not times: Date.UTC would roll them over silently.
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d ||
        back.getUTCHours() !== h || back.getUTCMinutes() !== mi) return null;
    return ms;
  }

  function toUtc(wallMs, zone) {
    if (zone === "UTC") return wallMs;
    var ms = wallMs - offsetMinutes(wallMs, zone) * 60000;
    return wallMs - offsetMinutes(ms, zone) * 60000;
  }

  function text(ms, zone) {
    var p = wall(ms, zone);
    return p.year + "-" + p.month + "-" + p.day + " " + pad(+p.hour % 24) + ":" + p.minute;
  }

  function offsetLabel(minutes) {
    var a = Math.abs(minutes);
    return "UTC" + (minutes < 0 ? "-" : "+") + pad(Math.floor(a / 60)) + ":" + pad(a % 60);
  }

  function update(input) {
    var out = document.getElementById("echo-" + input.dataset.time);
    var select = document.getElementById("f-time_zone");
    if (!out || !select) return;
    var value = input.value.trim();
    if (!value) { out.textContent = ""; return; }
    if (/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(value)) { out.textContent = ""; return; }
    var typed = parse(value);
    if (typed === null) { out.textContent = out.dataset.hint || HINT; return; }
    var ms = toUtc(typed, select.value);
    var groups = Object.create(null);  // keyed by offsets: no prototype to reach
    var order = [];
    Array.prototype.forEach.call(select.options, function (option) {
      if (option.value === "UTC") return;
      var off = offsetMinutes(ms, option.value);
      if (!(off in groups)) { groups[off] = { zone: option.value, codes: [] }; order.push(off); }
      groups[off].codes = groups[off].codes.concat(option.dataset.countries.split(" "));
    });
    order.sort(function (a, b) { return b - a; });
    var bits = [text(ms, "UTC") + "Z"];
    order.forEach(function (off) {
      var g = groups[off];
      bits.push(g.codes.join(" ") + " " + text(ms, g.zone) + " (" + offsetLabel(off) + ")");
    });
    out.textContent = "= " + bits.join(" · ");
  }

  function updateAll() {
    document.querySelectorAll("input[data-time]").forEach(update);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-time]")) update(event.target);
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "f-time_zone") updateAll();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", updateAll);
  else updateAll();
})();
