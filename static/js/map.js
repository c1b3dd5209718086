// The board's maps: vendored Leaflet over vendored country borders, no tile server.
// Every [data-map] element gets one. "view" maps draw the GeoJSON of data-src (the same
// access rules as their page); the "picker" map of the operation form sets a site's
// latitude and longitude with a click. Popups are built as DOM text, never as HTML, and
// nothing here writes an inline <style> or <script>: the page CSP allows neither.
(function () {
  "use strict";
  var REGION = [[8, 92], [27, 110]]; // the vendored borders' box: lat, lon
  var STYLES = {
    site: { radius: 8, color: "#7a0c0c", weight: 2, fillColor: "#d92d20", fillOpacity: 0.9 },
    base: { radius: 7, color: "#0b3d75", weight: 2, fillColor: "#2e7dd7", fillOpacity: 0.9 },
    crossing: { radius: 6, color: "#6b4a00", weight: 2, fillColor: "#f5b700", fillOpacity: 0.95 },
    handover: { radius: 7, color: "#3b1f66", weight: 2, fillColor: "#8e6cc9", fillOpacity: 0.9 },
    route: { color: "#0f2742", weight: 3, opacity: 0.8, dashArray: "6 4" }
  };

  function base(el) {
    var map = L.map(el, { minZoom: 4, maxZoom: 12, maxBounds: [[2, 86], [33, 116]],
                          zoomSnap: 0.5 });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Borders: Natural Earth");
    map.fitBounds(REGION);
    fetch(el.getAttribute("data-borders"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        var layer = L.geoJSON(geo, {
          interactive: false,
          style: function () {
            return { className: "map-border", color: "#6b7280", weight: 1,
                     fillColor: "#f7f5ef", fillOpacity: 1 };
          }
        }).addTo(map);
        layer.bringToBack();
        el.setAttribute("data-borders-drawn", String(geo.features.length));
      });
    return map;
  }

  function popup(props) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = props.name;
    box.appendChild(title);
    (props.details || []).forEach(function (line) {
      var p = document.createElement("div");
      p.textContent = line;
      box.appendChild(p);
    });
    return box;
  }

  function draw(el, map, data) {
    // Keyed by the features' kinds, which come with the data: no prototype to reach.
    var counts = Object.create(null);
    ["site", "base", "crossing", "handover", "route"].forEach(function (k) { counts[k] = 0; });
    var layer = L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        var kind = feature.properties.kind;
        return L.circleMarker(latlng, Object.assign({ className: "map-" + kind }, STYLES[kind]));
      },
      style: function (feature) {
        var kind = feature.properties.kind;
        return Object.assign({ className: "map-" + kind }, STYLES[kind] || {});
      },
      onEachFeature: function (feature, item) {
        var props = feature.properties;
        counts[props.kind] = (counts[props.kind] || 0) + 1;
        item.bindPopup(popup(props));
        item.bindTooltip(props.kind === "route" && props.label ? props.label : props.name);
      }
    }).addTo(map);
    Object.keys(counts).forEach(function (kind) {
      el.setAttribute("data-drawn-" + kind, String(counts[kind]));
    });
    if (data.features.length) {
      // No animation: the map is "ready" only once its markers stand where they stay,
      // so a click (a user's or a test's) never lands beside a marker still moving.
      map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 9, animate: false });
    }
  }

  function view(el) {
    var map = base(el);
    fetch(el.getAttribute("data-src"), {
      credentials: "same-origin", headers: { Accept: "application/geo+json" }
    })
      .then(function (r) { if (!r.ok) throw new Error("map data " + r.status); return r.json(); })
      .then(function (data) { draw(el, map, data); el.setAttribute("data-map-ready", "yes"); })
      .catch(function () { el.setAttribute("data-map-ready", "failed"); });
  }

  // --- the picker on the operation form -------------------------------------------------

  var picker = null; // {el, map, target, markers}

  function field(i, key) {
    return document.querySelector('input[name="sites.' + i + '.' + key + '"]');
  }

  function number(input) {
    var value = input ? parseFloat(input.value.replace(",", ".")) : NaN;
    return isFinite(value) ? value : null;
  }

  function refreshMarkers() {
    if (!picker) return;
    picker.markers.clearLayers();
    document.querySelectorAll("[data-site-point]").forEach(function (row) {
      var i = row.getAttribute("data-site-point");
      var lat = number(field(i, "lat")), lon = number(field(i, "lon"));
      if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return;
      L.circleMarker([lat, lon], Object.assign({ className: "map-site" }, STYLES.site))
        .bindTooltip(phrase("site", "Site {site}", { site: +i + 1 }), { permanent: true, direction: "right" })
        .addTo(picker.markers);
    });
  }

  // The picker's phrases in the reader's language, from data-* of the status line
  // (templates/operations/form.html); {site}, {lat} and {lon} are filled in here.
  function phrase(key, english, values) {
    var out = document.getElementById("site-picker-status");
    var text = (out && out.getAttribute("data-" + key)) || english;
    Object.keys(values || {}).forEach(function (name) {
      text = text.replace("{" + name + "}", values[name]);
    });
    return text;
  }

  function status(text) {
    var out = document.getElementById("site-picker-status");
    if (!out) return;
    out.textContent = text;
    out.hidden = !text;
  }

  function pickerMap(el) {
    var map = base(el);
    picker = { el: el, map: map, target: null, markers: L.layerGroup().addTo(map) };
    map.on("click", function (event) {
      if (picker.target === null) {
        status(phrase("first", "First press “Pick … on the map” beside the site to place."));
        return;
      }
      var i = picker.target;
      var lat = field(i, "lat"), lon = field(i, "lon");
      if (!lat || !lon) return;
      lat.value = event.latlng.lat.toFixed(5);
      lon.value = event.latlng.lng.toFixed(5);
      status(phrase("placed", "Site {site} placed at {lat}, {lon}.",
                    { site: +i + 1, lat: lat.value, lon: lon.value }));
      picker.target = null;
      refreshMarkers();
    });
    refreshMarkers();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-pick-site]") : null;
    if (!button || !picker) return;
    picker.target = button.getAttribute("data-pick-site");
    status(phrase("click", "Click the map to place site {site}.", { site: +picker.target + 1 }));
    picker.el.scrollIntoView({ block: "center" });
    picker.el.focus();
  });
  document.addEventListener("input", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-coordinate")) {
      refreshMarkers();
    }
  });

  function scan(root) {
    if (typeof L === "undefined") return;
    var found = root.querySelectorAll ? root.querySelectorAll("[data-map]") : [];
    Array.prototype.forEach.call(found, function (el) {
      if (el.getAttribute("data-map-init")) return;
      el.setAttribute("data-map-init", "yes");
      el.hidden = false;
      if (el.getAttribute("data-map") === "picker") {
        pickerMap(el);
      } else {
        view(el);
      }
    });
    var buttons = root.querySelectorAll ? root.querySelectorAll("[data-pick-site]") : [];
    Array.prototype.forEach.call(buttons, function (b) { b.hidden = false; });
    refreshMarkers(); // site rows added or removed: the picker shows the rows now there
  }

  // htmx swaps in new content (the form's site rows, a finished run): map it too.
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
})();
