/* Control-area map: draws the divisions' schematic GeoJSON shapes (no tiles, no network) coloured by
   the strictest tier covering each, for the day in #zone-map[data-day]. */
(function () {
  "use strict";
  var el = document.getElementById("zone-map");
  if (!el || typeof L === "undefined") { return; }
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
  var url = el.dataset.url + "?day=" + encodeURIComponent(el.dataset.day || "");
  fetch(url, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var features = data.features.filter(function (f) { return f.geometry; });
      var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
        style: function (f) {
          var p = f.properties;
          return {
            color: p.colour || "#607d8b",
            weight: p.level >= 6 ? 1.5 : 1,
            fillColor: p.colour || "#cfd8dc",
            fillOpacity: p.colour ? 0.55 : 0.15,
            className: "division tier-" + (p.tier || "none")
          };
        },
        onEachFeature: function (f, shape) {
          var p = f.properties;
          shape.bindTooltip(p.name + (p.tier_name ? " · " + p.tier_name : ""));
        }
      }).addTo(map);
      if (features.length) {
        map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      } else {
        map.setView([36.0, 103.8], 11);
      }
      el.dataset.features = String(features.length);
      el.dataset.tiered = String(features.filter(function (f) { return f.properties.tier; }).length);
      el.dataset.ready = "1";
    })
    .catch(function () { el.dataset.ready = "error"; });
})();
