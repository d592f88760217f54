// Maps where people need them (issue 14): the dashboard's choropleth, clusters, heat map and time
// slider drill down to the cases; the case page shows its point, its grid and the open cases
// nearby; the report form shows the grid of the point picked, by click or by address search.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
let grids;
before(async () => {
  srv = await startServer();
  browser = await launch();
  const all = (await srv.api('admin', 'GET', '/regions?level=grid')).body.items;
  // Two grids of different streets, with their centres.
  const pick = [all.find((g) => g.code.startsWith('330179001')), all.find((g) => g.code.startsWith('330179002'))];
  grids = await Promise.all(pick.map(async (g) => {
    const full = (await srv.api('admin', 'GET', `/regions/${g.id}`)).body;
    const ring = full.boundary.coordinates[0];
    const lats = ring.map((p) => p[1]);
    const lons = ring.map((p) => p[0]);
    return { ...full, lat: (Math.min(...lats) + Math.max(...lats)) / 2, lon: (Math.min(...lons) + Math.max(...lons)) / 2 };
  }));
});
after(async () => { await browser?.close(); await srv?.stop(); });

async function report(title, at) {
  const body = { title, description: `${title}，请尽快处理`, channel: 'hotline', ...(at ? { lat: at.lat, lon: at.lon } : {}) };
  const r = await srv.api('operator', 'POST', '/cases', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

// A locator's box once nothing moves it any more: the same on two reads 150 ms apart.
async function settledBox(locator, timeout = 20000) {
  const deadline = Date.now() + timeout;
  let last = null;
  for (;;) {
    const box = await locator.boundingBox();
    if (box && last && ['x', 'y', 'width', 'height'].every((k) => Math.abs(box[k] - last[k]) < 0.5)) return box;
    if (Date.now() > deadline) throw new Error(`the box did not settle: ${JSON.stringify(box)}`);
    last = box;
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function listedNumbers(page) {
  await page.locator('.list-status').filter({ hasText: /共|没有/ }).waitFor();
  return page.locator('.queue-list').textContent();
}

test('the dashboard colours the grids, clusters the points and drills down to the cases', async () => {
  const [a, b] = grids;
  const near = [];
  for (let i = 0; i < 3; i++) near.push(await report(`井盖缺失${i + 1}`, { lat: a.lat + i * 0.00005, lon: a.lon }));
  const alone = await report('路灯不亮', { lat: b.lat, lon: b.lon });
  const page = await loginPage(browser, srv, 'supervisor');
  await goto(page, srv, '/dashboard');
  // The choropleth: grid A coloured by its open cases, a legend, the ranking with its counts.
  const row = page.locator(`.grid-rank tr[data-grid="${a.code}"]`);
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  assert.equal(cells[0], a.name);
  assert.ok(Number(cells[1]) >= 3, cells.join(' '));
  await page.locator('.choro-legend .legend[data-measure="open"] li').first().waitFor();
  assert.match(await page.locator('.choro-legend').textContent(), /网格在办工单（件）/);
  const fill = await page.locator(`path.choro-grid[data-grid="${a.code}"]`).getAttribute('fill');
  assert.notEqual(fill, '#f8fafc'); // not the colour of a grid without cases
  assert.match(await page.locator('.map-note').textContent(), /近 14 日受理的 \d+ 件有位置的工单/);
  // The points: three in one place make a cluster of 3; the one elsewhere is a point of its own.
  const cluster = page.locator('.marker-cluster', { hasText: '3' });
  await cluster.first().waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, 'maps-1-dashboard');

  // A point opens its case.
  await page.locator(`path.case-${alone.id}`).click();
  await page.waitForURL(new RegExp(`#/case/${alone.id}$`));
  await page.locator('main h1', { hasText: alone.number }).waitFor();

  // A cluster opens the list of its cases.
  await goto(page, srv, '/dashboard');
  await cluster.first().click();
  await page.waitForURL(/#\/cases\?.*bbox=/);
  let text = await listedNumbers(page);
  for (const c of near) assert.ok(text.includes(c.number), `${c.number} in the cluster's list`);
  assert.ok(!text.includes(alone.number));
  assert.match(await page.locator('.map-filter').textContent(), /地图所选范围/);

  // A grid opens the list of its cases (points off, so the grid itself takes the click).
  await goto(page, srv, '/dashboard');
  await page.locator(`path.choro-grid[data-grid="${a.code}"]`).waitFor();
  await page.getByLabel('点位聚合').uncheck();
  await page.locator(`path.choro-grid[data-grid="${a.code}"]`).click();
  await page.waitForURL(new RegExp(`#/cases\\?.*region=${a.id}`));
  text = await listedNumbers(page);
  for (const c of near) assert.ok(text.includes(c.number));
  assert.ok(!text.includes(alone.number));
  // The list names the grid it is narrowed to.
  assert.equal(await page.locator('select[name="region"] option:checked').textContent(), a.name);

  // The heat map: a click on a hot place opens the cases around it.
  // The case of grid B lies in the middle of the grid's box, where the heat is.
  await goto(page, srv, '/dashboard');
  const gb = page.locator(`path.choro-grid[data-grid="${b.code}"]`);
  await gb.waitFor();
  // The grid's centre relative to the map: ticking the boxes may scroll the page. Read once the
  // map's refit after the layout has settled (a fixed 300 ms pause was too short under load:
  // the box was read while the path was redrawn, null).
  const mapBox = page.locator('.dash-map');
  const g0 = await settledBox(gb);
  const m0 = await mapBox.boundingBox();
  await page.getByLabel('点位聚合').uncheck();
  await page.getByLabel('网格着色').uncheck();
  await page.getByLabel('热力图').check();
  await page.locator('canvas.leaflet-heatmap-layer').waitFor();
  await mapBox.scrollIntoViewIfNeeded();
  const m1 = await mapBox.boundingBox();
  await page.mouse.click(m1.x + (g0.x - m0.x) + g0.width / 2, m1.y + (g0.y - m0.y) + g0.height / 2);
  await page.waitForURL(/#\/cases\?.*near=/);
  text = await listedNumbers(page);
  assert.ok(text.includes(alone.number));
  for (const c of near) assert.ok(!text.includes(c.number));

  // The time slider: a window of one day still holds today's cases; the label says so.
  await goto(page, srv, '/dashboard');
  await row.waitFor();
  await page.locator('#map-days').fill('1');
  await page.locator('.map-window', { hasText: '近 1 日' }).waitFor();
  await page.locator('.map-note', { hasText: '近 1 日' }).waitFor();
  assert.ok(Number((await row.locator('td').allTextContents())[1]) >= 3);
  assert.deepEqual(page.errors, []);
});

test('the case page shows its point, its grid and the open cases nearby', async () => {
  const [a] = grids;
  const c = await report('占道经营', { lat: a.lat, lon: a.lon });
  const n1 = await report('乱堆物料', { lat: a.lat + 0.001, lon: a.lon }); // about 110 m north
  const far = await report('噪声扰民', { lat: a.lat + 0.01, lon: a.lon }); // about 1.1 km
  const none = await report('咨询政策');
  const page = await loginPage(browser, srv, 'dispatcher');
  await goto(page, srv, `/case/${c.id}`);
  await page.locator('.case-map .leaflet-marker-icon').waitFor();
  assert.equal(await page.locator('.loc-grid').textContent(), `所在网格：${a.name}`);
  await page.locator(`.case-map path[data-grid="${a.code}"]`).waitFor();
  await page.locator('.case-map .grid-label', { hasText: a.name }).waitFor();
  const item = page.locator(`.nearby li[data-case="${n1.id}"]`);
  await item.waitFor();
  assert.match(await item.textContent(), /乱堆物料.*约 1\d\d 米/);
  assert.equal(await page.locator(`.nearby li[data-case="${far.id}"]`).count(), 0);
  assert.equal(await page.locator(`.nearby li[data-case="${c.id}"]`).count(), 0);
  assert.match(await page.locator('.nearby-box h3').textContent(), /周边 500 米内的在办工单/);
  assert.deepEqual(await axe(page), []);
  await shot(page, 'maps-2-case');
  await item.getByRole('link').click();
  await page.locator('main h1', { hasText: n1.number }).waitFor();
  // A case without a point says so.
  await goto(page, srv, `/case/${none.id}`);
  assert.equal(await page.locator('[data-map="none"]').textContent(), '该工单没有位置坐标，无法在地图上显示。');
  assert.deepEqual(page.errors, []);
});

test('the report form shows the grid of the point picked on the map', async () => {
  const page = await loginPage(browser, srv, 'citizen');
  await goto(page, srv, '/report');
  const mapEl = page.locator('.pick-map');
  await mapEl.locator('.map-label').first().waitFor();
  await page.waitForTimeout(300);
  const box = await mapEl.boundingBox();
  // The middle of the district: the grid shown is the server's for the point taken.
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const picked = await page.locator('.pick-map ~ .row .hint', { hasText: '已选位置' }).textContent();
  const [lat, lon] = picked.match(/-?\d+\.\d+/g).map(Number);
  const located = (await srv.api('citizen', 'GET', `/regions/locate?lat=${lat}&lon=${lon}`)).body;
  const grid = located.path[located.path.length - 1];
  assert.equal(grid.level, 'grid', 'the middle of the demo district lies in a grid');
  await page.locator('.loc-grid', { hasText: grid.name }).waitFor();
  assert.match(await page.locator('.loc-grid').textContent(), /^所在网格：/);
  assert.equal(await page.locator('.loc-grid').getAttribute('data-grid'), grid.code);
  // The marker drags: far outside every grid, the form says so.
  const marker = mapEl.locator('.leaflet-marker-icon');
  const mb = await marker.boundingBox();
  await page.mouse.move(mb.x + mb.width / 2, mb.y + mb.height - 2);
  await page.mouse.down();
  await page.mouse.move(box.x + 4, box.y + 4, { steps: 8 });
  await page.mouse.up();
  await page.locator('.loc-grid', { hasText: '不在本区任何网格内' }).waitFor();

  // The address search: an address written to the register in grid A is offered as it is
  // typed, and picking it puts the point there and names the grid.
  const [a] = grids;
  const road = await srv.api('admin', 'POST', '/address-register/roads', { code: 'T-MAP-R1', name: '地图测试路', kind: 'branch',
    geometry: { type: 'LineString', coordinates: [[a.lon - 0.001, a.lat], [a.lon + 0.001, a.lat]] } });
  assert.equal(road.status, 201, JSON.stringify(road.body));
  const pt = await srv.api('admin', 'POST', '/address-register/points', { code: 'T-MAP-P1', road_id: road.body.id, house_no: '8号', lat: a.lat, lon: a.lon });
  assert.equal(pt.status, 201, JSON.stringify(pt.body));
  const addr = page.locator('input[name="address"]');
  await addr.fill('地图测试路');
  const option = page.getByRole('option', { name: /地图测试路8号/ });
  await option.waitFor();
  await addr.press('ArrowDown');
  await addr.press('ArrowUp');
  assert.equal(await option.getAttribute('aria-selected'), 'true');
  await addr.press('Enter');
  assert.equal(await addr.inputValue(), '地图测试路8号');
  await page.locator('.loc-grid', { hasText: a.name }).waitFor();
  assert.equal(await page.locator('.loc-grid').getAttribute('data-grid'), a.code);
  const at = (await page.locator('.pick-map ~ .row .hint', { hasText: '已选位置' }).textContent()).match(/-?\d+\.\d+/g).map(Number);
  assert.ok(Math.abs(at[0] - a.lat) < 1e-5 && Math.abs(at[1] - a.lon) < 1e-5, at.join(','));
  // Changing the text after a pick drops the point taken from the register.
  await addr.fill('无此地址');
  await page.locator('.pick-map ~ .row .hint', { hasText: '在地图上点击' }).waitFor();
  assert.ok(await page.locator('.loc-grid').isHidden());
  assert.deepEqual(await axe(page), []);
  await shot(page, 'maps-3-report');
  assert.deepEqual(page.errors, []);
});
