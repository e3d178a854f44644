/* Overview map: the divisions' schematic GeoJSON shapes (zones app, no tiles, no network) inside the
   overview's division, coloured by the strictest tier covering each. */
(function () {
  "use strict";
  var el = document.getElementById("overview-map");
  if (!el || typeof L === "undefined" || !el.dataset.url) { return; }
  var code = el.dataset.code || "";
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
  fetch(el.dataset.url, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var features = data.features.filter(function (f) {
        return f.geometry && f.properties.code.indexOf(code) === 0 && f.properties.code !== code;
      });
      var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
        style: function (f) {
          var p = f.properties;
          return {
            color: p.colour || "#607d8b",
            weight: p.level >= 6 ? 1.5 : 1,
            fillColor: p.colour || "#cfd8dc",
            fillOpacity: p.colour ? 0.55 : 0.15
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
      el.dataset.ready = "1";
    })
    .catch(function () { el.dataset.ready = "error"; });
})();
