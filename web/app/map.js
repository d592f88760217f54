// Leaflet maps drawn over the region and grid boundaries, on gridloop's own basemap (the
// address register's roads, buildings, water, green areas and places: basemap.js; deployments
// have no internet). A tile URL in /config.json makes that tile server's map the base instead,
// with a switch back to gridloop's (docs/maps.md).
import { loadScript, loadCss, laidOut } from './ui.js';
import { basemapLayer } from './basemap.js';
import { t } from './i18n.js';
import { regions } from './data.js';

let config = null;
async function siteConfig() {
  if (!config) {
    config = fetch('/config.json').then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  }
  return config;
}

export async function leaflet() {
  loadCss('/vendor/leaflet/leaflet.css');
  await loadScript('/vendor/leaflet/leaflet.js');
  return window.L;
}

export const STATE_COLOURS = {
  new: '#c2410c', dispatched: '#b45309', returned: '#9f1239', processing: '#1d4ed8',
  hanging: '#6b7280', reviewing: '#0e7490', replied: '#047857', rectifying: '#7e22ce', closed: '#374151',
  cancelled: '#9ca3af', merged: '#9ca3af',
};

// A map in `el` with streets and grids drawn; resolves to {L, map, bounds}.
export async function regionMap(el, { label, grids = true } = {}) {
  const L = await leaflet();
  // Leaflet needs the container's real size.
  await laidOut(el);
  el.setAttribute('role', 'region');
  if (label) el.setAttribute('aria-label', label);
  const map = L.map(el, { zoomSnap: 0.25, attributionControl: false, zoomControl: false });
  // Leaflet's own buttons are titled in English ("Zoom in"): ours say it in Chinese.
  L.control.zoom({ zoomInTitle: t('map.zoom_in'), zoomOutTitle: t('map.zoom_out') }).addTo(map);
  const cfg = await siteConfig();
  const base = basemapLayer(L);
  if (cfg.tile_url) {
    // Raster tiles carry their own roads and names: drawn over them, ours would double every
    // road, so the two are alternatives.
    const tiles = L.tileLayer(cfg.tile_url, { maxZoom: 19 }).addTo(map);
    L.control.layers({ [t('map.base.tiles')]: tiles, [t('map.base.vector')]: base }, null, { position: 'topright' }).addTo(map);
  } else {
    base.addTo(map);
  }
  const [streets, gridList] = await Promise.all([regions('street', true), grids ? regions('grid', true) : []]);
  const fc = (items) => ({
    type: 'FeatureCollection',
    features: items.filter((r) => r.boundary).map((r) => ({ type: 'Feature', properties: { name: r.name }, geometry: r.boundary })),
  });
  if (grids) {
    // Dashed, so on the basemap a boundary never reads as a road.
    L.geoJSON(fc(gridList), { style: { color: '#64748b', weight: 1, dashArray: '2 4', fillOpacity: 0.03 }, interactive: false }).addTo(map);
  }
  const st = L.geoJSON(fc(streets), {
    style: { color: '#6d28d9', weight: 2, dashArray: '8 5', opacity: 0.8, fillOpacity: 0.03 },
    interactive: false,
  }).addTo(map);
  for (const s of streets) {
    if (!s.boundary) continue;
    const c = L.geoJSON(s.boundary).getBounds().getCenter();
    L.tooltip({ permanent: true, direction: 'center', className: 'map-label', interactive: false }).setLatLng(c).setContent(s.name).addTo(map);
  }
  const bounds = st.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
  else map.setView([30.18, 120.1], 13);
  return { L, map, bounds };
}
