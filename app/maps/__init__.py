"""Maps: sites, unit bases, border crossings and routes as GeoJSON, drawn offline by
Leaflet over vendored country borders (static/vendor/README.md), with the same
information as a table beside each map."""
