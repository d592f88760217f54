// The city's own basemap, drawn in the browser from GET /api/v1/basemap/{z}/{x}/{y} (the
// address register's roads, buildings, water, green areas and places; docs/maps.md): a Leaflet
// GridLayer that draws each tile on a canvas. The server gives coordinates in tile units already
// clipped and simplified for the zoom, so drawing is scaling, not projecting.
//
// Two styles: light for the work screens, dark for the wall screen (html.wall, the dashboard's
// wall mode); the layer redraws itself when the wall mode is switched. Labels (Chinese, from the
// register) avoid each other within a tile: places first (the server sends the most important
// first), then road names along their longest straight stretch; a label that would overlap one
// already placed is left out.

const TILE = 256;
const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';

export const STYLES = {
  light: {
    land: '#f5f3ee', water: '#a9d3e6', green: '#cfe8bf', building: '#dcd3c8', buildingLine: '#c2b6a8',
    casing: { trunk: '#c47d2c', primary: '#c9a04a', secondary: '#bdb5aa', branch: '#c9c2b8', path: null },
    road: { trunk: '#f6ad55', primary: '#fcd98a', secondary: '#ffffff', branch: '#ffffff', path: '#a8a29e' },
    text: '#334155', halo: 'rgba(255,255,255,0.9)', roadText: '#475569', place: '#b45309', placeLine: '#ffffff',
  },
  dark: {
    land: '#0b1220', water: '#0f2f4a', green: '#11291c', building: '#1e293b', buildingLine: '#2b3a52',
    casing: { trunk: '#0b1220', primary: '#0b1220', secondary: '#0b1220', branch: '#0b1220', path: null },
    road: { trunk: '#64748b', primary: '#4b5b73', secondary: '#3a4a61', branch: '#2f3d52', path: '#334155' },
    text: '#cbd5e1', halo: 'rgba(11,18,32,0.9)', roadText: '#94a3b8', place: '#f59e0b', placeLine: '#0b1220',
  },
};

// Drawn bottom to top; a kind's width in pixels at zoom 16 (scaled by zoom).
const ROAD_ORDER = ['path', 'branch', 'secondary', 'primary', 'trunk'];
const ROAD_WIDTH = { path: 1.2, branch: 5, secondary: 7, primary: 9, trunk: 11 };

// What was fetched and drawn, for the performance figures (docs/benchmarks.md) and the tests.
export const basemapStats = { tiles: 0, bytes: 0, drawMs: 0, maxDrawMs: 0, features: { roads: 0, buildings: 0, water: 0, green: 0, places: 0 }, labels: 0 };

const isWall = () => document.documentElement.classList.contains('wall');

function roadWidth(kind, z) {
  const w = (ROAD_WIDTH[kind] || 2) * Math.min(2.2, Math.max(0.3, 2 ** ((z - 16) * 0.7)));
  return Math.max(kind === 'path' ? 0.8 : 1, w);
}

function path(ctx, parts, k, closed) {
  ctx.beginPath();
  for (const p of parts) {
    if (p.length < 4) continue;
    ctx.moveTo(p[0] * k, p[1] * k);
    for (let i = 2; i < p.length; i += 2) ctx.lineTo(p[i] * k, p[i + 1] * k);
    if (closed) ctx.closePath();
  }
}

function fillAreas(ctx, items, k, colour, line) {
  if (!items.length) return;
  ctx.fillStyle = colour;
  for (const f of items) {
    path(ctx, f.rings, k, true);
    ctx.fill('evenodd');
    if (line) { ctx.strokeStyle = line; ctx.lineWidth = 0.6; ctx.stroke(); }
  }
}

// Label boxes already placed in this tile; false when `b` overlaps one.
function claim(boxes, b) {
  if (b.x0 < 0 || b.y0 < 0 || b.x1 > TILE || b.y1 > TILE) {
    // Crossing the tile's edge: the neighbour draws the same label for places (the server sends
    // places within a margin of both tiles); road names stay whole inside one tile.
    if (!b.mayCross) return false;
  }
  for (const o of boxes) if (b.x0 < o.x1 && b.x1 > o.x0 && b.y0 < o.y1 && b.y1 > o.y0) return false;
  boxes.push(b);
  return true;
}

function haloText(ctx, s, text, x, y) {
  ctx.lineWidth = 3;
  ctx.strokeStyle = s.halo;
  ctx.strokeText(text, x, y);
  ctx.fillText(text, x, y);
}

function drawPlaces(ctx, places, k, s, boxes) {
  ctx.font = `12px ${FONT}`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  for (const p of places) {
    const x = p.x * k, y = p.y * k;
    const w = ctx.measureText(p.name).width;
    const box = { x0: x - 4, y0: y - 8, x1: x + 7 + w, y1: y + 8, mayCross: true };
    if (!claim(boxes, box)) continue;
    ctx.beginPath();
    ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = s.place;
    ctx.fill();
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = s.placeLine;
    ctx.stroke();
    ctx.fillStyle = s.text;
    haloText(ctx, s, p.name, x + 6, y);
    basemapStats.labels++;
  }
}

// A road's name along the longest segment of its lines in this tile, if the name fits on it;
// along a road that runs east-west only in every other column of tiles (north-south: every
// other row), so a long road is named every 512 pixels, not in every tile.
function drawRoadNames(ctx, roads, k, s, boxes, tx, ty) {
  ctx.font = `12px ${FONT}`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  const done = new Set();
  const ranked = [...roads].sort((a, b) => ROAD_ORDER.indexOf(b.kind) - ROAD_ORDER.indexOf(a.kind));
  for (const r of ranked) {
    if (!r.name || done.has(r.name) || r.kind === 'path') continue;
    let best = null;
    for (const p of r.lines) {
      for (let i = 0; i + 3 < p.length; i += 2) {
        const x0 = p[i] * k, y0 = p[i + 1] * k, x1 = p[i + 2] * k, y1 = p[i + 3] * k;
        const len = Math.hypot(x1 - x0, y1 - y0);
        if (!best || len > best.len) best = { x0, y0, x1, y1, len };
      }
    }
    if (!best) continue;
    const across = Math.abs(best.x1 - best.x0) >= Math.abs(best.y1 - best.y0);
    if ((across ? tx : ty) % 2 !== 0) continue;
    const w = ctx.measureText(r.name).width;
    if (best.len < w + 16) continue;
    const cx = (best.x0 + best.x1) / 2, cy = (best.y0 + best.y1) / 2;
    let a = Math.atan2(best.y1 - best.y0, best.x1 - best.x0);
    if (a > Math.PI / 2) a -= Math.PI;
    if (a < -Math.PI / 2) a += Math.PI;
    // The rotated label's bounding box.
    const hw = (Math.abs(Math.cos(a)) * w + Math.abs(Math.sin(a)) * 13) / 2;
    const hh = (Math.abs(Math.sin(a)) * w + Math.abs(Math.cos(a)) * 13) / 2;
    if (!claim(boxes, { x0: cx - hw, y0: cy - hh, x1: cx + hw, y1: cy + hh })) continue;
    done.add(r.name);
    ctx.save();
    ctx.translate(cx, cy);
    ctx.rotate(a);
    ctx.fillStyle = s.roadText;
    haloText(ctx, s, r.name, 0, 0);
    ctx.restore();
    basemapStats.labels++;
  }
}

function drawBuildingNumbers(ctx, buildings, k, s, boxes) {
  ctx.font = `10px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (const b of buildings) {
    if (!b.number || !b.rings[0]) continue;
    const r = b.rings[0];
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < r.length; i += 2) {
      x0 = Math.min(x0, r[i]); x1 = Math.max(x1, r[i]); y0 = Math.min(y0, r[i + 1]); y1 = Math.max(y1, r[i + 1]);
    }
    const w = ctx.measureText(b.number).width;
    if ((x1 - x0) * k < w + 4 || (y1 - y0) * k < 12) continue;
    const cx = (x0 + x1) / 2 * k, cy = (y0 + y1) / 2 * k;
    if (!claim(boxes, { x0: cx - w / 2, y0: cy - 6, x1: cx + w / 2, y1: cy + 6 })) continue;
    ctx.fillStyle = s.roadText;
    ctx.fillText(b.number, cx, cy);
  }
}

// Draw tile data `d` (tile z/x/y) on a 2D context scaled to CSS pixels.
export function drawTile(ctx, d, z, style, x = d.x, y = d.y) {
  const s = style;
  const k = TILE / d.extent;
  ctx.fillStyle = s.land;
  ctx.fillRect(0, 0, TILE, TILE);
  fillAreas(ctx, d.water, k, s.water);
  fillAreas(ctx, d.green, k, s.green);
  fillAreas(ctx, d.buildings, k, s.building, z >= 16 ? s.buildingLine : null);
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  const byKind = (kind) => d.roads.filter((r) => r.kind === kind);
  for (const kind of ROAD_ORDER) { // casings below every fill, so crossings join cleanly
    const c = s.casing[kind];
    if (!c) continue;
    ctx.strokeStyle = c;
    ctx.lineWidth = roadWidth(kind, z) + 2;
    for (const r of byKind(kind)) { path(ctx, r.lines, k, false); ctx.stroke(); }
  }
  for (const kind of ROAD_ORDER) {
    ctx.strokeStyle = s.road[kind];
    ctx.lineWidth = roadWidth(kind, z);
    ctx.setLineDash(kind === 'path' ? [3, 3] : []);
    for (const r of byKind(kind)) { path(ctx, r.lines, k, false); ctx.stroke(); }
  }
  ctx.setLineDash([]);
  const boxes = [];
  drawPlaces(ctx, d.places, k, s, boxes);
  if (z >= 14) drawRoadNames(ctx, d.roads, k, s, boxes, x, y);
  drawBuildingNumbers(ctx, d.buildings, k, s, boxes);
  for (const l of Object.keys(basemapStats.features)) basemapStats.features[l] += d[l].length;
}

// The basemap layer for map `L`. Tiles are fetched once per layer (and kept for redraws when
// the style changes); the browser's HTTP cache and the server's ETag do the rest.
export function basemapLayer(L) {
  const data = new Map(); // "z/x/y" -> tile data
  const Layer = L.GridLayer.extend({
    createTile(coords, done) {
      const tile = document.createElement('canvas');
      const ratio = window.devicePixelRatio || 1;
      tile.width = TILE * ratio;
      tile.height = TILE * ratio;
      tile.setAttribute('aria-hidden', 'true');
      const key = `${coords.z}/${coords.x}/${coords.y}`;
      const draw = (d) => {
        const t0 = performance.now();
        const ctx = tile.getContext('2d');
        ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
        drawTile(ctx, d, coords.z, STYLES[isWall() ? 'dark' : 'light']);
        const ms = performance.now() - t0;
        basemapStats.tiles++;
        basemapStats.drawMs += ms;
        basemapStats.maxDrawMs = Math.max(basemapStats.maxDrawMs, ms);
      };
      tile._draw = () => { const d = data.get(key); if (d) draw(d); };
      const ctrl = new AbortController();
      tile._abort = () => ctrl.abort();
      const known = data.get(key);
      if (known) {
        draw(known);
        setTimeout(() => done(null, tile), 0);
        return tile;
      }
      fetch(`/api/v1/basemap/${key}`, { signal: ctrl.signal })
        .then(async (r) => {
          if (!r.ok) throw new Error(String(r.status));
          const text = await r.text();
          basemapStats.bytes += text.length;
          const d = JSON.parse(text);
          data.set(key, d);
          if (data.size > 800) data.delete(data.keys().next().value); // the oldest

          draw(d);
          done(null, tile);
        })
        .catch((e) => done(e, tile));
      return tile;
    },
  });
  // keepBuffer: two more rings of tiles kept around the view, so panning back redraws nothing.
  const layer = new Layer({ tileSize: TILE, maxZoom: 19, className: 'basemap', keepBuffer: 4 });
  layer.on('tileunload', (e) => { if (e.tile._abort) e.tile._abort(); });
  // The wall mode switches the whole page's class: redraw the tiles in the other style.
  let observer = null;
  layer.on('add', () => {
    let wall = isWall();
    observer = new MutationObserver(() => {
      if (isWall() === wall) return;
      wall = isWall();
      for (const key of Object.keys(layer._tiles || {})) layer._tiles[key].el._draw?.();
    });
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
  });
  layer.on('remove', () => { observer?.disconnect(); observer = null; });
  return layer;
}
