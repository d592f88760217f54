// A grid worker's day on a 360 px phone (issue 15, item 4): the home screen is one task list; a
// report from the hotline waits there for verification (核实), the worker confirms it with a
// photo, then handles a small matter on the spot (自行处置) in one step. The patrol part of the day
// is the patrol page's own test. The grid workers' table (migration 0040) is filled here directly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, launch, loginPage, shot, goto, axe, PNG } from './helper.mjs';

let srv;
let browser;
const ids = {};
before(async () => {
  srv = await startServer();
  browser = await launch();
  const users = (await srv.api('admin', 'GET', '/users')).body.items;
  const gw = users.find((u) => u.name === 'grid_worker');
  ids.gw = gw.id;
  ids.grid = gw.region_id;
  execFileSync('sqlite3', [srv.db], { input:
    // The demo gives every grid its workers: grid_worker alone serves its grid here, so the
    // verification task is known to be its.
    `INSERT OR IGNORE INTO grid_workers(user_id, created_at, updated_at) VALUES (${gw.id}, 1, 1);
     INSERT OR IGNORE INTO grid_worker_grids(user_id, region_id) VALUES (${gw.id}, ${gw.region_id});
     DELETE FROM grid_worker_grids WHERE region_id = ${gw.region_id} AND user_id <> ${gw.id};` });
  const box = (await srv.api('admin', 'GET', `/regions/${gw.region_id}`)).body.boundary.coordinates[0];
  ids.point = { latitude: (box[0][1] + box[2][1]) / 2, longitude: (box[0][0] + box[2][0]) / 2 };
  const rule = await srv.api('admin', 'PUT', '/grid-task-rules', { category: 0, verify: true, check: false });
  assert.equal(rule.status, 200, JSON.stringify(rule.body));
  const c = await srv.api('operator', 'POST', '/cases', { title: '井盖缺失', description: '人行道井盖不见了，很危险',
    channel: 'hotline', region_id: gw.region_id });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  ids.reported = c.body;
});
after(async () => { await browser?.close(); await srv?.stop(); });

test('360 px phone: the grid worker verifies a report with a photo and self-handles a matter', async () => {
  const page = await loginPage(browser, srv, 'grid_worker', { viewport: { width: 360, height: 740 }, geolocation: ids.point });
  // The task list is the grid worker's home.
  assert.match(page.url(), /#\/tasks$/);
  await goto(page, srv, '/tasks');
  const verify = page.locator('ul[data-kind="verify"]');
  const item = verify.locator('li.task').filter({ hasText: ids.reported.number });
  await item.waitFor();
  assert.deepEqual(await axe(page), []);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'nothing wider than the phone');
  await page.getByRole('link', { name: '开始巡查' }).waitFor();
  await shot(page, 'phone-grid-tasks');
  // Confirming without a photo is refused under the photo control; with one it goes through.
  await item.getByRole('button', { name: '属实', exact: true }).click();
  await item.locator('.field[data-fields~="photo"] .error:not([hidden])').waitFor();
  await item.getByLabel('现场照片').setInputFiles({ name: 'site.png', mimeType: 'image/png', buffer: PNG });
  await item.getByRole('button', { name: '属实', exact: true }).click();
  await verify.locator('li.task').filter({ hasText: ids.reported.number }).waitFor({ state: 'detached' });
  const tasks = (await srv.api('dispatcher', 'GET', `/cases/${ids.reported.id}/grid-tasks`)).body.items;
  assert.equal(tasks[0].status, 'confirmed');
  const c = (await srv.api('dispatcher', 'GET', `/cases/${ids.reported.id}`)).body;
  assert.equal(c.state, 'new');
  assert.equal(c.attachments.length, 1);
  // 自行处置: found, done, sent from where the worker stands.
  const form = page.locator('form.self-handle');
  await form.getByLabel('发现的问题').fill('路灯杆小广告');
  await form.getByLabel('问题描述').fill('路灯杆上贴满小广告');
  await form.getByLabel('处置结果').fill('已当场清除小广告');
  await form.getByRole('button', { name: '处置完毕，提交' }).click();
  await page.getByText('近24小时自行处置 1 件').waitFor();
  await shot(page, 'phone-grid-self-handled');
  const mine = (await srv.api('grid_worker', 'GET', '/cases?mine=true')).body.items;
  const done = mine.find((x) => x.title === '路灯杆小广告');
  assert.ok(done, 'the self-handled case is among the worker\'s reports');
  assert.equal(done.state, 'closed');
  assert.equal((await srv.api('dispatcher', 'GET', `/cases/${done.id}/grid-tasks`)).body.self_handled, true);
  await page.locator(`ul[data-kind="mine"] li[data-case="${done.id}"]`).waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'nothing wider than the phone');
  assert.deepEqual(page.errors, []);
});
