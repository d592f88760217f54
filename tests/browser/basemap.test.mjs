// The basemap (web/app/basemap.js) under the report form's map: roads and buildings of the
// address register drawn on the tiles' canvases (the pixels are read back), Chinese labels,
// the wall screen's dark style, and a point picked on it becoming the report's location.
// The register's rows are written into the server's database (as the register's writers would,
// addr_version bumped), a block of streets and buildings at the demo district's centre.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, launch, loginPage, goto, shot } from './helper.mjs';

let srv;
let browser;

const LON = 120.1;
const LAT = 30.2;
const rect = (lon, lat, w, h) => [[[lon, lat], [lon + w, lat], [lon + w, lat + h], [lon, lat + h], [lon, lat]]];

function registerSql() {
  const now = 1760000000;
  const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
  const rows = [];
  const road = (code, name, kind, line) => {
    const lons = line.map((p) => p[0]), lats = line.map((p) => p[1]);
    rows.push(`INSERT INTO addr_roads (code, name, kind, geometry, min_lon, min_lat, max_lon, max_lat, created_at, updated_at) VALUES (${q(code)}, ${q(name)}, ${q(kind)}, ${q(JSON.stringify({ type: 'LineString', coordinates: line }))}, ${Math.min(...lons)}, ${Math.min(...lats)}, ${Math.max(...lons)}, ${Math.max(...lats)}, ${now}, ${now});`);
  };
  const building = (code, number, lon, lat, w, h) => {
    rows.push(`INSERT INTO addr_buildings (code, compound, number, use, floors, footprint, lat, lon, min_lon, min_lat, max_lon, max_lat, created_at, updated_at) VALUES (${q(code)}, '锦绣花园', ${q(number)}, 'residential', 6, ${q(JSON.stringify({ type: 'Polygon', coordinates: rect(lon, lat, w, h) }))}, ${lat + h / 2}, ${lon + w / 2}, ${lon}, ${lat}, ${lon + w}, ${lat + h}, ${now}, ${now});`);
  };
  // Streets every 0.002 degrees around the centre; the east-west ones primary.
  for (let i = -3; i <= 3; i++) {
    road(`bt-ew${i}`, `锦绣${i + 4}路`, 'primary', [[LON - 0.008, LAT + 0.0022 * i + 0.0011], [LON + 0.008, LAT + 0.0022 * i + 0.0011]]);
    road(`bt-ns${i}`, `青石${i + 4}街`, 'branch', [[LON + 0.0025 * i + 0.00125, LAT - 0.008], [LON + 0.0025 * i + 0.00125, LAT + 0.008]]);
  }
  // A building on the centre itself and a block of them around it.
  building('bt-b0', '1幢', LON - 0.0004, LAT - 0.0003, 0.0008, 0.0006);
  let n = 1;
  for (let i = -3; i <= 3; i++) {
    for (let j = -3; j <= 3; j++) {
      if (i === 0 && j === 0) continue;
      building(`bt-b${n}`, `${++n}幢`, LON + 0.0025 * i - 0.0004, LAT + 0.0022 * j - 0.0003, 0.0008, 0.0006);
    }
  }
  rows.push(`INSERT INTO addr_places (code, name, type, lat, lon, created_at, updated_at) VALUES ('bt-p1', '锦绣小学', 'school', ${LAT + 0.0006}, ${LON + 0.0012}, ${now}, ${now});`);
  rows.push(`INSERT INTO addr_areas (code, kind, name, geometry, min_lon, min_lat, max_lon, max_lat, created_at, updated_at) VALUES ('bt-w1', 'water', '青石河', ${q(JSON.stringify({ type: 'Polygon', coordinates: rect(LON - 0.006, LAT - 0.0075, 0.012, 0.0007) }))}, ${LON - 0.006}, ${LAT - 0.0075}, ${LON + 0.006}, ${LAT - 0.0068}, ${now}, ${now});`);
  rows.push('UPDATE addr_version SET version = version + 1 WHERE id = 1;');
  return `.timeout 10000\nBEGIN;\n${rows.join('\n')}\nCOMMIT;\n`;
}

before(async () => {
  srv = await startServer();
  execFileSync('sqlite3', ['-cmd', '.timeout 10000', srv.db], { input: registerSql() });
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.stop(); });

// Pixels of the basemap's canvases within `tol` of each colour, under the map's visible box.
const countColours = (page, colours, tol = 6) => page.evaluate(({ colours, tol }) => {
  const hex = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  const want = colours.map(hex);
  const counts = colours.map(() => 0);
  const map = document.querySelector('.pick-map').getBoundingClientRect();
  for (const c of document.querySelectorAll('.pick-map .basemap canvas')) {
    const r = c.getBoundingClientRect();
    if (r.right < map.left || r.left > map.right || r.bottom < map.top || r.top > map.bottom) continue;
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < px.length; i += 4) {
      want.forEach((w, k) => {
        if (Math.abs(px[i] - w[0]) <= tol && Math.abs(px[i + 1] - w[1]) <= tol && Math.abs(px[i + 2] - w[2]) <= tol) counts[k]++;
      });
    }
  }
  return counts;
}, { colours, tol });

const stats = (page) => page.evaluate(async () => structuredClone((await import('/app/basemap.js')).basemapStats));

test('the report form map shows the register\'s roads and buildings, and a point picked on it is the report\'s', async () => {
  const page = await loginPage(browser, srv, 'citizen');
  await goto(page, srv, '/report');
  const map = page.locator('.pick-map.leaflet-container');
  await map.waitFor();
  await map.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelectorAll('.pick-map .basemap canvas').length > 0);
  const { STYLES } = await page.evaluate(async () => ({ STYLES: (await import('/app/basemap.js')).STYLES }));
  // At the district's zoom the primary roads show, the buildings not yet (from zoom 15).
  await page.waitForFunction(async () => (await import('/app/basemap.js')).basemapStats.features.roads > 0);
  assert.equal((await stats(page)).features.buildings, 0);
  const zoomIn = page.getByRole('button', { name: '放大地图' });
  for (let i = 0; i < 6 && (await stats(page)).features.buildings === 0; i++) {
    await zoomIn.click();
    await page.waitForTimeout(700);
  }
  await page.waitForFunction(async () => (await import('/app/basemap.js')).basemapStats.features.buildings > 0);
  await page.waitForTimeout(500); // the zoom animation's last tiles
  const [building, primary, land] = await countColours(page, [STYLES.light.building, STYLES.light.road.primary, STYLES.light.land]);
  assert.ok(building > 2000, `building pixels: ${building}`);
  assert.ok(primary > 500, `primary road pixels: ${primary}`);
  assert.ok(land > 2000, `land pixels: ${land}`);
  const s = await stats(page);
  assert.ok(s.labels > 0, 'labels drawn');
  console.log(`# basemap: ${s.tiles} tiles drawn, ${(s.bytes / Math.max(1, s.tiles) / 1024).toFixed(1)} KiB a tile, ` +
    `${(s.drawMs / Math.max(1, s.tiles)).toFixed(2)} ms a tile (max ${s.maxDrawMs.toFixed(1)} ms)`);
  await shot(page, 'basemap-report-light');

  // Picking: a click on the map's centre lands on the building drawn there (1幢).
  const box = await map.boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const picked = await page.getByText(/已选位置/).textContent();
  const [lat, lon] = picked.match(/(-?\d+\.\d+), (-?\d+\.\d+)/).slice(1).map(Number);
  assert.ok(Math.abs(lat - LAT) < 0.0003 && Math.abs(lon - LON) < 0.0004, `picked ${lat}, ${lon} is on 1幢`);
  await page.getByLabel('问题描述').fill('锦绣花园1幢楼下的路灯不亮了，晚上很黑');
  await page.getByRole('button', { name: '提交诉求' }).click();
  await page.locator('.done').waitFor();
  await page.locator('.done').getByRole('link').click();
  await page.locator('.case-page h1').waitFor();
  const id = Number(page.url().match(/case\/(\d+)/)[1]);
  const c = await srv.api('admin', 'GET', `/cases/${id}`);
  assert.equal(c.status, 200);
  assert.ok(Math.abs(c.body.lat - lat) < 1e-5 && Math.abs(c.body.lon - lon) < 1e-5, JSON.stringify([c.body.lat, c.body.lon]));
  assert.deepEqual(page.errors, []);
});

test('the wall screen draws the basemap dark', async () => {
  const page = await loginPage(browser, srv, 'supervisor', { viewport: { width: 1920, height: 1080 } });
  await goto(page, srv, '/dashboard?wall=1');
  await page.waitForFunction(() => document.documentElement.classList.contains('wall'));
  await page.waitForFunction(async () => (await import('/app/basemap.js')).basemapStats.features.roads > 0);
  const { STYLES } = await page.evaluate(async () => ({ STYLES: (await import('/app/basemap.js')).STYLES }));
  // The wall's layout resizes the map, which brings new tiles: poll until they are drawn.
  const count = () => page.evaluate(({ dark, light }) => {
    let d = 0, l = 0;
    for (const c of document.querySelectorAll('.basemap canvas')) {
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
      const [dr, dg, db] = hex(dark), [lr, lg, lb] = hex(light);
      for (let i = 0; i < px.length; i += 4) {
        if (px[i] === dr && px[i + 1] === dg && px[i + 2] === db) d++;
        if (px[i] === lr && px[i + 1] === lg && px[i + 2] === lb) l++;
      }
    }
    return { d, l };
  }, { dark: STYLES.dark.land, light: STYLES.light.land });
  let counts = await count();
  for (let i = 0; i < 40 && counts.d <= 10000; i++) {
    await page.waitForTimeout(250);
    counts = await count();
  }
  assert.ok(counts.d > 10000 && counts.l === 0, JSON.stringify(counts));
  await shot(page, 'basemap-wall-dark');
  assert.deepEqual(page.errors, []);
});

test('with a tile server configured, its tiles are the base and the city basemap is the other choice', async () => {
  const page = await loginPage(browser, srv, 'citizen');
  // The deployment's /config.json names a tile server (here one that answers every tile blank).
  await page.route('**/config.json', (r) => r.fulfill({ contentType: 'application/json', body: JSON.stringify({ tile_url: '/tiles/{z}/{x}/{y}.png' }) }));
  await page.route('**/tiles/**', (r) => r.fulfill({ contentType: 'image/png', body: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64') }));
  await page.reload(); // the citizen's home (the report form) read the real config at sign-in
  await goto(page, srv, '/report');
  await page.locator('.pick-map.leaflet-container').waitFor();
  await page.locator('.pick-map img.leaflet-tile').first().waitFor({ state: 'attached' });
  assert.equal(await page.locator('.pick-map .basemap').count(), 0, 'the city basemap is not drawn over the tiles');
  const control = page.locator('.pick-map .leaflet-control-layers');
  await control.hover();
  await control.getByText('城市底图').click();
  await page.waitForFunction(() => document.querySelectorAll('.pick-map .basemap canvas').length > 0);
  assert.equal(await page.locator('.pick-map img.leaflet-tile').count(), 0, 'the tiles are gone');
  assert.ok(await control.getByText('瓦片底图').isVisible());
  assert.deepEqual(page.errors, []);
});
