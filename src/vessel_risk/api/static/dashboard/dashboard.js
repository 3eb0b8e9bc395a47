// vessel-risk dashboard: the maps of the alert queue, the port queue and the vessel page,
// over the app's own base map (Natural Earth land, public domain, from /static: no tiles,
// no network).
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

  // The land layer under every map: fetched once from the app (the URL is the body's
  // data-basemap), drawn in its own pane below the markers, not interactive. The map's
  // element says data-basemap="ready" once it is drawn ("failed" if it could not load).
  function basemap(map, el) {
    const url = document.body.dataset.basemap;
    if (!url) return;
    map.createPane('land');
    map.getPane('land').style.zIndex = 250;
    fetch(url, {credentials: 'same-origin'})
      .then(function (r) {
        if (!r.ok) throw new Error('base map: HTTP ' + r.status);
        return r.json();
      })
      .then(function (land) {
        L.geoJSON(land, {
          pane: 'land',
          interactive: false,
          className: 'land',
          style: {color: '#7d7660', weight: 1, fillColor: '#eee8d5', fillOpacity: 1},
        }).addTo(map);
        el.dataset.basemap = 'ready';
      })
      .catch(function () { el.dataset.basemap = 'failed'; });
  }

  function vrMap(el, bounds) {
    const map = L.map(el, {worldCopyJump: true, attributionControl: true});
    map.attributionControl.setPrefix('Leaflet (BSD-2) | Land: Natural Earth (public domain) | offline');
    basemap(map, el);
    for (let lon = -180; lon <= 180; lon += 30) {
      L.polyline([[-85, lon], [85, lon]], {color: '#9bb', weight: 1, opacity: 0.5, interactive: false}).addTo(map);
    }
    for (let lat = -60; lat <= 60; lat += 30) {
      L.polyline([[lat, -180], [lat, 180]], {color: '#9bb', weight: 1, opacity: 0.5, interactive: false}).addTo(map);
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
  } else if (view === 'events') {
    const events = data('map-events') || [];
    const bounds = events.length ? L.latLngBounds(events.map(function (e) { return [e.lat, e.lon]; })).pad(0.5) : null;
    const map = vrMap(el, bounds);
    if (events.length === 1) map.setZoom(6);
    for (const e of events) {
      L.circleMarker([e.lat, e.lon], {radius: 5, color: '#b00020', className: 'event-marker'})
        .bindPopup(popup([String(e.kind), String(e.start)]))
        .addTo(map);
    }
  }
})();
