// vessel-risk dashboard: the maps of the alert queue, the port queue and the vessel page.
// Served from /static because the Content-Security-Policy allows no inline script. The
// page gives its data as JSON in <script type="application/json"> blocks (never run).
// Every value from data (ship names above all: anyone with a transmitter writes them)
// goes into the page as text (textContent, text nodes), never as HTML.
'use strict';
(function () {
  const TIER_COLOUR = {high: '#b00020', medium: '#e07b00', low: '#2a7', 'insufficient data': '#888'};

  function data(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function vrMap(el, bounds) {
    const map = L.map(el, {worldCopyJump: true, attributionControl: true});
    map.attributionControl.setPrefix('Leaflet (BSD-2) | no base map: offline');
    for (let lon = -180; lon <= 180; lon += 30) {
      L.polyline([[-85, lon], [85, lon]], {color: '#9bb', weight: 1, interactive: false}).addTo(map);
    }
    for (let lat = -60; lat <= 60; lat += 30) {
      L.polyline([[lat, -180], [lat, 180]], {color: '#9bb', weight: 1, interactive: false}).addTo(map);
    }
    map.fitBounds(bounds || [[-60, -180], [70, 180]]);
    return map;
  }

  // A popup of text parts: a string is text; {text, href} is a link with that text.
  function popup(parts) {
    const box = document.createElement('div');
    parts.forEach(function (part, i) {
      if (i) box.append(' ');
      if (typeof part === 'string') {
        box.append(part);
      } else {
        const a = document.createElement('a');
        a.href = part.href;
        a.textContent = part.text;
        box.append(a);
      }
    });
    return box;
  }

  function vesselHref(mmsi) {
    return '/ui/vessels/' + encodeURIComponent(mmsi);
  }

  function alertMarkers(map, points, radius) {
    for (const p of points) {
      const options = {radius: radius, color: TIER_COLOUR[p.tier] || '#333', className: 'alert-marker'};
      L.circleMarker([p.lat, p.lon], options)
        .bindPopup(popup([{text: String(p.name), href: vesselHref(p.mmsi)}, p.score.toFixed(2), String(p.tier)]))
        .addTo(map);
    }
  }

  const el = document.getElementById('map');
  if (!el) return;
  const view = el.dataset.view;
  if (view === 'alerts') {
    alertMarkers(vrMap(el), data('map-points') || [], 5);
  } else if (view === 'port') {
    const points = data('map-points') || [];
    const bounds = points.length ? L.latLngBounds(points.map(function (p) { return [p.lat, p.lon]; })).pad(0.5) : null;
    alertMarkers(vrMap(el, bounds), points, 6);
  } else if (view === 'vessel') {
    const map = vrMap(el);
    const track = data('map-track');
    if (track) {
      const layer = L.geoJSON(track, {style: {color: '#0b3954', weight: 2}}).addTo(map);
      try { map.fitBounds(layer.getBounds().pad(0.1)); } catch (e) { /* an empty track */ }
    }
    for (const e of data('map-events') || []) {
      L.circleMarker([e.lat, e.lon], {radius: 4, color: '#b00020', className: 'event-marker'})
        .bindPopup(popup([String(e.kind), String(e.start)]))
        .addTo(map);
    }
  }
})();
