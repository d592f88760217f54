// 巡查 on a 360 px phone (issue 15, docs/grid.md §3): the grid worker starts a patrol, the
// phone's positions are queued on the device and sent in batches, the signal drops (the fixes
// wait in localStorage) and comes back (they are sent), a finding is reported with a photo at
// the phone's position, and the patrol ends; the server has the track and the finding.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe, PNG } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

test('a grid worker patrols, loses the signal, reports a finding with a photo and ends, on a 360 px phone', async () => {
  const me = (await srv.api('grid_worker', 'GET', '/me')).body;
  const grid = (await srv.api('admin', 'GET', `/regions/${me.region_id}`)).body;
  const ring = grid.boundary.coordinates[0];
  const lons = ring.map((p) => p[0]);
  const lats = ring.map((p) => p[1]);
  const lat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const lon0 = Math.min(...lons) + 0.0005;
  const at = (i) => ({ latitude: lat, longitude: lon0 + i * 0.00005 }); // about 5 m a step
  const page = await loginPage(browser, srv, 'grid_worker', { viewport: { width: 360, height: 740 }, geolocation: at(0) });
  const ctx = page.context();
  await goto(page, srv, '/patrol');
  await page.locator('h1', { hasText: '网格巡查' }).waitFor();
  await page.getByRole('button', { name: '开始巡查' }).click();
  const status = page.locator('.patrol-status');
  await status.getByText(`正在巡查：${grid.name}`).waitFor();
  await page.locator('.patrol-map .leaflet-container, .patrol-map.leaflet-container').first().waitFor();
  // Walking: each new position is a fix (one a second at most).
  for (let i = 1; i <= 3; i++) { await pause(1100); await ctx.setGeolocation(at(i)); }
  await page.getByRole('button', { name: '立即发送定位' }).click();
  await status.locator('[data-k=queued]', { hasText: '待发送 0 个' }).waitFor();
  const sentBefore = Number((await status.locator('[data-k=sent]').textContent()).match(/\d+/)[0]);
  assert.ok(sentBefore >= 2, `sent ${sentBefore}`);
  // The signal drops: the fixes wait on the phone.
  await ctx.setOffline(true);
  for (let i = 4; i <= 6; i++) { await pause(1100); await ctx.setGeolocation(at(i)); }
  await page.getByRole('button', { name: '立即发送定位' }).click();
  await pause(300);
  const waiting = Number((await status.locator('[data-k=queued]').textContent()).match(/\d+/)[0]);
  assert.ok(waiting >= 2, `queued ${waiting}`);
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('gl.patrol.queue')).fixes.length);
  assert.equal(stored, waiting);
  await shot(page, 'patrol-1-offline-queue');
  // Back online: the queue empties by itself.
  await ctx.setOffline(false);
  await status.locator('[data-k=queued]', { hasText: '待发送 0 个' }).waitFor();
  await status.locator('[data-k=sent]', { hasText: `已上传定位 ${sentBefore + waiting} 个` }).waitFor();
  // A finding with a photo at the phone's position.
  const form = page.locator('form.patrol-finding');
  await form.getByLabel('问题描述').fill('巡查发现人行道井盖松动，已设置临时警示。');
  await form.locator('input[type=file]').setInputFiles({ name: 'manhole.png', mimeType: 'image/png', buffer: PNG });
  await form.getByRole('button', { name: '上报' }).click();
  await status.locator('[data-k=findings]', { hasText: '发现问题 1 件' }).waitFor();
  // Nothing wider than the phone.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling');
  assert.deepEqual(await axe(page), []);
  await shot(page, 'patrol-2-finding');
  await page.getByRole('button', { name: '结束巡查' }).click();
  await status.getByText('当前没有进行中的巡查').waitFor();
  await page.locator('.patrol-recent li').first().waitFor();
  await shot(page, 'patrol-3-ended');
  // The server's record: the track, the finding (a grid case at the phone's position, with its photo).
  const list = (await srv.api('grid_worker', 'GET', '/patrols')).body.items;
  assert.equal(list.length, 1);
  const p = (await srv.api('grid_worker', 'GET', `/patrols/${list[0].id}`)).body;
  assert.equal(p.under_way, false);
  assert.equal(p.fixes, sentBefore + waiting);
  assert.ok(p.distance_m > 0);
  assert.equal(p.finding_cases.length, 1);
  const c = (await srv.api('grid_worker', 'GET', `/cases/${p.finding_cases[0].id}`)).body;
  assert.equal(c.channel, 'grid');
  assert.ok(Math.abs(c.lat - lat) < 1e-6, `finding at ${c.lat}`);
  assert.equal(c.attachments.length, 1);
  assert.deepEqual(page.errors, []);
});
