// Makes static/vendor/borders-lancang-mekong-<version>.geojson: the country polygons of
// world-atlas (Natural Earth 1:50m, public domain) clipped to the Lancang-Mekong box, so
// the map draws borders offline and without a tile server.
//
// Run once, from a scratch directory holding the two npm packages (they are not project
// dependencies):
//   npm install world-atlas@2.0.2 topojson-client@3.1.0
//   node /path/to/scripts/vendor_borders.mjs node_modules/world-atlas/countries-50m.json \
//        > static/vendor/borders-lancang-mekong-world-atlas-2.0.2.geojson
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.cwd() + "/");
const { feature } = require("topojson-client");

// West, south, east, north: Myanmar, Thailand, Laos, Cambodia, Vietnam and Yunnan.
const BOX = [92, 8, 110, 27];
const DIGITS = 3; // about 100 m: ample for borders at the board's zoom levels

const topology = JSON.parse(readFileSync(process.argv[2], "utf8"));
const countries = feature(topology, topology.objects.countries);

// Sutherland-Hodgman against one edge of the box at a time.
function clipRing(ring) {
  const edges = [
    [(p) => p[0] >= BOX[0], (a, b) => cut(a, b, 0, BOX[0])],
    [(p) => p[0] <= BOX[2], (a, b) => cut(a, b, 0, BOX[2])],
    [(p) => p[1] >= BOX[1], (a, b) => cut(a, b, 1, BOX[1])],
    [(p) => p[1] <= BOX[3], (a, b) => cut(a, b, 1, BOX[3])],
  ];
  let points = ring.slice(0, -1);
  for (const [inside, intersect] of edges) {
    const out = [];
    for (let i = 0; i < points.length; i++) {
      const cur = points[i];
      const prev = points[(i + points.length - 1) % points.length];
      if (inside(cur)) {
        if (!inside(prev)) out.push(intersect(prev, cur));
        out.push(cur);
      } else if (inside(prev)) {
        out.push(intersect(prev, cur));
      }
    }
    points = out;
    if (points.length === 0) return null;
  }
  const rounded = points.map((p) => p.map((v) => Number(v.toFixed(DIGITS))));
  const deduped = rounded.filter((p, i) => i === 0 || p[0] !== rounded[i - 1][0] || p[1] !== rounded[i - 1][1]);
  if (deduped.length < 3) return null;
  deduped.push(deduped[0]);
  return deduped;
}

function cut(a, b, axis, value) {
  const t = (value - a[axis]) / (b[axis] - a[axis]);
  const other = 1 - axis;
  const p = [0, 0];
  p[axis] = value;
  p[other] = a[other] + t * (b[other] - a[other]);
  return p;
}

function clipPolygon(rings) {
  const outer = clipRing(rings[0]);
  if (!outer) return null;
  return [outer, ...rings.slice(1).map(clipRing).filter(Boolean)];
}

const features = [];
for (const country of countries.features) {
  const geometry = country.geometry;
  if (!geometry) continue;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  const clipped = polygons.map(clipPolygon).filter(Boolean);
  if (clipped.length === 0) continue;
  features.push({
    type: "Feature",
    properties: { name: country.properties.name },
    geometry: { type: "MultiPolygon", coordinates: clipped },
  });
}
features.sort((a, b) => a.properties.name.localeCompare(b.properties.name));
process.stdout.write(JSON.stringify({
  type: "FeatureCollection",
  bbox: BOX,
  // Natural Earth via world-atlas 2.0.2 (ISC licence; the data is public domain).
  source: "world-atlas 2.0.2 countries-50m (Natural Earth 1:50m), clipped",
  features,
}) + "\n");
