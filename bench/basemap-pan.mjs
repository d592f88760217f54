// Panning the report form's map over the demo register (gridloop init --demo): chromium, the
// citizen's report form, the map zoomed to 16; the mouse drags the map 40 times by 120 pixels
// (east, then back west) while a requestAnimationFrame loop records every frame's interval.
// Prints the frames' p50 / p95 / max, the frames over 50 ms, and the tiles drawn meanwhile.
// --without: the same with every basemap tile refused (the maps as they were); --raster: with a
// tile_url whose tiles are 256-pixel PNGs (a tile server's map), for comparison.
//   node bench/basemap-pan.mjs [--without | --raster]   (build/gridloop and build/web; GRIDLOOP_BIN to change)
import { deflateSync } from 'node:zlib';
import { startServer, launch, loginPage, goto } from '../tests/browser/helper.mjs';

// A 256-pixel grey PNG, for --raster: the maps on a tile server's raster tiles, for comparison.
function png256() {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => { const len = Buffer.alloc(4); len.writeUInt32BE(data.length); const td = Buffer.concat([Buffer.from(type), data]); const c = Buffer.alloc(4); c.writeUInt32BE(crc(td)); return Buffer.concat([len, td, c]); };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(256, 0); ihdr.writeUInt32BE(256, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc(256 * (1 + 256 * 3), 0xe0); for (let y = 0; y < 256; y++) raw[y * (1 + 768)] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const srv = await startServer();
const browser = await launch();
try {
  const page = await loginPage(browser, srv, 'citizen');
  if (process.argv.includes('--raster')) {
    const tile = png256();
    await page.route('**/config.json', (r) => r.fulfill({ contentType: 'application/json', body: JSON.stringify({ tile_url: '/tiles/{z}/{x}/{y}.png' }) }));
    await page.route('**/tiles/**', (r) => r.fulfill({ contentType: 'image/png', body: tile }));
    await page.reload();
  }
  if (process.argv.includes('--without')) {
    await page.route('**/api/v1/basemap/**', (r) => r.fulfill({ status: 404, body: '' }));
    await page.reload();
  }
  await goto(page, srv, '/report');
  const map = page.locator('.pick-map.leaflet-container');
  await map.waitFor();
  await map.scrollIntoViewIfNeeded();
  for (let i = 0; i < 3; i++) {
    await page.getByRole('button', { name: '放大地图' }).click();
    await page.waitForTimeout(800);
  }
  await page.waitForTimeout(1500);
  const before = await page.evaluate(async () => structuredClone((await import('/app/basemap.js')).basemapStats));
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => { window.__frames.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const box = await map.boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  for (let i = 0; i < 40; i++) {
    const dx = i < 20 ? -120 : 120;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + dx / 2, cy, { steps: 4 });
    await page.mouse.move(cx + dx, cy, { steps: 4 });
    await page.mouse.up();
  }
  await page.waitForTimeout(1000);
  const frames = await page.evaluate(() => { window.__stop = true; return window.__frames.slice(1); });
  const after = await page.evaluate(async () => structuredClone((await import('/app/basemap.js')).basemapStats));
  frames.sort((a, b) => a - b);
  const q = (p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))];
  const tiles = after.tiles - before.tiles;
  console.log(`frames ${frames.length}: p50 ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, ` +
    `max ${frames[frames.length - 1].toFixed(1)} ms, over 50 ms: ${frames.filter((f) => f > 50).length}`);
  console.log(`tiles drawn while panning: ${tiles}, ${((after.bytes - before.bytes) / Math.max(1, tiles) / 1024).toFixed(1)} KiB ` +
    `and ${((after.drawMs - before.drawMs) / Math.max(1, tiles)).toFixed(2)} ms a tile`);
} finally {
  await browser.close();
  await srv.stop();
}
