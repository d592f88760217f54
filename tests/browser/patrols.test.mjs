// 巡查监督 (issue 15 items 3 and 8): a supervisor reads the day's patrol coverage per grid on the
// map and in the least-covered table, each worker's figures, and draws a worker's track.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const localDate = (ms) => new Date(ms + 8 * 3600000).toISOString().slice(0, 10);

test('a supervisor reads the coverage of the day and draws a grid worker\'s track', async () => {
  const gw = (await srv.api('admin', 'GET', '/users')).body.items.find((u) => u.name === 'grid_worker');
  const ring = (await srv.api('admin', 'GET', `/regions/${gw.region_id}`)).body.boundary.coordinates[0];
  const lons = ring.map((q) => q[0]);
  const lats = ring.map((q) => q[1]);
  const [x0, x1, y0, y1] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const start = await srv.api('grid_worker', 'POST', '/patrols', {});
  assert.equal(start.status, 201, JSON.stringify(start.body));
  const id = start.body.id;
  const t0 = Date.parse(start.body.started_at);
  // A sweep of the grid's lower part: lines along the longitude, one fix a second (fast, so
  // that the fixes stay within the two minutes a phone's clock may run ahead).
  const fixes = [];
  const step = (x1 - x0) / 24;
  for (let i = 0, line = 0; i < 90; i++) {
    const k = i % 24;
    if (i && k === 0) line++;
    const lon = line % 2 ? x1 - step * (k + 0.5) : x0 + step * (k + 0.5);
    fixes.push({ at: iso(t0 + i * 1000), lat: y0 + (y1 - y0) * (0.1 + 0.06 * line), lon });
  }
  const sent = await srv.api('grid_worker', 'POST', `/patrols/${id}/fixes`, { fixes });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const end = await srv.api('grid_worker', 'POST', `/patrols/${id}/end`, {});
  assert.equal(end.status, 200, JSON.stringify(end.body));
  const today = localDate(t0);
  const cov = (await srv.api('supervisor', 'GET', `/patrols/coverage?from=${today}&to=${today}`)).body.items;
  const mine = cov.find((c) => c.region.id === gw.region_id);
  assert.ok(mine.share > 0.05, JSON.stringify(mine));

  const p = await loginPage(browser, srv, 'supervisor');
  await goto(p, srv, '/patrols');
  await p.locator('h1', { hasText: '巡查监督' }).waitFor();
  await p.fill('input[name="date"]', today);
  await p.locator('form[data-form="patrols-day"] button', { hasText: '查看' }).click();
  // A neighbour within 30 m of the track counts as patrolled too.
  const walked = cov.filter((c) => c.share > 0).length;
  assert.ok(walked >= 1 && walked <= 4, String(walked));
  await p.locator('.patrols-summary', { hasText: `${today}：共 ${cov.length} 个网格，已巡查 ${walked} 个，未巡查 ${cov.length - walked} 个` }).waitFor();
  // Every grid is drawn, coloured by its share.
  await p.waitForFunction((n) => document.querySelectorAll('.patrols-map path.leaflet-interactive').length >= n, cov.length);
  // The least covered are the grids nobody walked; the worker's row has the figures.
  assert.match(await p.locator('table.patrols-least tbody tr').first().textContent(), /0%/);
  const row = p.locator(`table.patrols-workers tr[data-worker="${gw.id}"]`);
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  assert.equal(cells[1], '1');
  assert.equal(cells[4], '90');
  await row.locator('button', { hasText: '在地图上显示' }).click();
  await p.locator('.toast, [role="status"]', { hasText: '条巡查轨迹' }).first().waitFor();
  const blue = await p.locator('.patrols-map path[stroke="#1d4ed8"]').count();
  assert.equal(blue, 1, 'the one track of the day is drawn');
  await shot(p, 'patrols-1-coverage');
  assert.deepEqual(await axe(p), []);
});
