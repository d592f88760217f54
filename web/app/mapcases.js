// Cases on maps (the dashboard, the case page): the Leaflet plugins for point clusters and the
// heat layer (npm packages copied by web/build.sh), the choropleth's colour classes, distances.
import { loadScript, loadCss } from './ui.js';
import { leaflet } from './map.js';

export async function clusterAndHeat() {
  const L = await leaflet();
  loadCss('/vendor/leaflet-plugins/MarkerCluster.css');
  loadCss('/vendor/leaflet-plugins/MarkerCluster.Default.css');
  // Both extend the global L, so they load after leaflet.js.
  await Promise.all([loadScript('/vendor/leaflet-plugins/leaflet.markercluster.js'),
    loadScript('/vendor/leaflet-plugins/leaflet-heat.js')]);
  return L;
}

// Light to dark: none, then four classes up to the largest count.
export const CHORO_COLOURS = ['#f8fafc', '#fde68a', '#fb923c', '#dc2626', '#7f1d1d'];

// The upper bounds of the classes after 0: equal steps up to 'max', whole numbers, increasing.
export function choroBreaks(max) {
  const out = [];
  for (let i = 1; i <= 4; i++) {
    const b = Math.ceil((max * i) / 4);
    if (b > 0 && (!out.length || b > out[out.length - 1])) out.push(b);
  }
  return out;
}

export function choroColour(v, breaks) {
  if (!v) return CHORO_COLOURS[0];
  const i = breaks.findIndex((b) => v <= b);
  return CHORO_COLOURS[1 + (i < 0 ? breaks.length - 1 : i) + (4 - breaks.length)];
}

// Metres between two points (the plane tangent at the first; as the server's `near`).
export function metres(a, b) {
  const k = 111194.93;
  const dy = (b.lat - a.lat) * k;
  const dx = (b.lon - a.lon) * k * Math.cos((a.lat * Math.PI) / 180);
  return Math.sqrt(dx * dx + dy * dy);
}

export const OPEN_STATES = ['new', 'dispatched', 'returned', 'processing', 'hanging', 'reviewing', 'replied', 'rectifying'];
