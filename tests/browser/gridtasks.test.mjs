// A grid worker's day on a 360 px phone (issue 15, item 4): the home screen is one task list; a
// report from the hotline waits there for verification (核实), the worker confirms it with a
// photo, hands another to a colleague of the grid (转交), then handles a small matter on the spot
// (自行处置) in one step, with its 处置前 and 处置后 photos. The patrol part of the day is the
// patrol page's own test. The demo gives the grid its workers; here grid_worker alone serves it
// (a colleague joins once the tasks are given), so the tasks are theirs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, launch, loginPage, shot, goto, axe, PNG } from './helper.mjs';

// Another photo (the result differs from the problem): a red 2 x 2 PNG.
const PNG2 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg==', 'base64');

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
  execFileSync('sqlite3', ['-cmd', '.timeout 10000', srv.db], { input:
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
  // A second report, and then a colleague for the grid (added after, so both tasks are grid_worker's).
  const c2 = await srv.api('operator', 'POST', '/cases', { title: '路面塌陷', description: '小区门口路面塌了一个坑',
    channel: 'hotline', region_id: gw.region_id });
  assert.equal(c2.status, 201, JSON.stringify(c2.body));
  ids.second = c2.body;
  const grid = (await srv.api('admin', 'GET', `/regions/${gw.region_id}`)).body;
  const mate = users.find((u) => u.name === `gw_${grid.code}_n`);
  ids.mate = mate.id;
  execFileSync('sqlite3', ['-cmd', '.timeout 10000', srv.db], { input:
    `INSERT OR IGNORE INTO grid_worker_grids(user_id, region_id) VALUES (${mate.id}, ${gw.region_id});` });
});
after(async () => { await browser?.close(); await srv?.stop(); });

test('360 px phone: the grid worker verifies a report with a photo, hands a task to a colleague and self-handles a matter with photos', async () => {
  const page = await loginPage(browser, srv, 'grid_worker', { viewport: { width: 360, height: 740 }, geolocation: ids.point });
  // The task list is the grid worker's home.
  assert.match(page.url(), /#\/tasks$/);
  await goto(page, srv, '/tasks');
  const verify = page.locator('ul[data-kind="verify"]');
  const item = verify.locator('li.task').filter({ hasText: ids.reported.number });
  await item.waitFor();
  // On duty with the page open, the phone's position goes to the server for dispatch.
  await page.locator('.position-note', { hasText: '位置已上报' }).waitFor();
  const me = (await srv.api('admin', 'GET', `/grid-workers/${ids.gw}`)).body;
  assert.ok(Math.abs(me.position.lat - ids.point.latitude) < 1e-6 && Math.abs(me.position.lon - ids.point.longitude) < 1e-6, JSON.stringify(me.position));
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
  // 转交: the second report goes to the colleague of the grid, with a note.
  const second = verify.locator('li.task').filter({ hasText: ids.second.number });
  await second.getByText('转交同事').click();
  const handOver = second.locator('form.task-transfer');
  await handOver.getByLabel('转交给').locator('option').first().waitFor({ state: 'attached' });
  await handOver.getByRole('button', { name: '确认转交' }).click();
  await handOver.locator('.field[data-fields~="note"] .error:not([hidden])').waitFor();
  await handOver.getByLabel('转交说明').fill('我在外区，请帮忙核实');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'nothing wider than the phone');
  await shot(page, 'phone-grid-task-transfer');
  await handOver.getByRole('button', { name: '确认转交' }).click();
  await verify.locator('li.task').filter({ hasText: ids.second.number }).waitFor({ state: 'detached' });
  const moved = (await srv.api('dispatcher', 'GET', `/cases/${ids.second.id}/grid-tasks`)).body.items;
  assert.equal(moved[0].assignee_id, ids.mate);
  assert.equal(moved[0].status, 'open');
  // 自行处置: found, photographed, done, photographed again, sent from where the worker stands.
  // Without the photo of the result it is refused under that control, and nothing is reported.
  const form = page.locator('form.self-handle');
  await form.getByLabel('发现的问题').fill('路灯杆小广告');
  await form.getByLabel('问题描述').fill('路灯杆上贴满小广告');
  await form.getByLabel('处置前照片').setInputFiles({ name: 'before.png', mimeType: 'image/png', buffer: PNG });
  await form.getByLabel('处置结果').fill('已当场清除小广告');
  await form.getByRole('button', { name: '处置完毕，提交' }).click();
  await form.locator('.field[data-fields~="after_photos"] .error:not([hidden])').waitFor();
  await form.getByLabel('处置后照片').setInputFiles({ name: 'after.png', mimeType: 'image/png', buffer: PNG2 });
  await form.getByRole('button', { name: '处置完毕，提交' }).click();
  await page.getByText('近24小时自行处置 1 件').waitFor();
  await shot(page, 'phone-grid-self-handled');
  const mine = (await srv.api('grid_worker', 'GET', '/cases?mine=true')).body.items;
  const done = mine.find((x) => x.title === '路灯杆小广告');
  assert.ok(done, 'the self-handled case is among the worker\'s reports');
  assert.equal(done.state, 'closed');
  assert.equal((await srv.api('dispatcher', 'GET', `/cases/${done.id}/grid-tasks`)).body.self_handled, true);
  const handled = (await srv.api('dispatcher', 'GET', `/cases/${done.id}`)).body;
  assert.deepEqual(handled.attachments.map((a) => a.stage), ['before', 'after']);
  await page.locator(`ul[data-kind="mine"] li[data-case="${done.id}"]`).waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'nothing wider than the phone');
  assert.deepEqual(page.errors, []);
});

test('the admin sets how long the grid worker has for a verification', async () => {
  const page = await loginPage(browser, srv, 'admin');
  await goto(page, srv, '/admin/gridtasks');
  const form = page.locator('form').filter({ hasText: '设置核实核查规则' });
  await form.getByLabel('核实时限（分钟，5 至 1440）').fill('3');
  await form.getByRole('button', { name: '保存' }).click();
  await form.locator('.field[data-fields~="verify_minutes"] .error:not([hidden])').waitFor();
  await form.getByLabel('核实时限（分钟，5 至 1440）').fill('30');
  await form.getByRole('button', { name: '保存' }).click();
  await page.getByRole('cell', { name: '须在 30 分钟内完成' }).waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, 'admin-grid-task-rules');
  const rule = (await srv.api('admin', 'GET', '/grid-task-rules')).body.items.find((r) => r.category === 0);
  assert.equal(rule.verify_minutes, 30);
  assert.equal(rule.check_minutes, 120);
  assert.deepEqual(page.errors, []);
});

test('the community official reassigns an overdue task to another worker of the grid from the case page (转派)', async () => {
  const c = await srv.api('operator', 'POST', '/cases', { title: '垃圾满溢', description: '小区垃圾桶满溢无人清运',
    channel: 'hotline', region_id: ids.grid });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const task = (await srv.api('dispatcher', 'GET', `/cases/${c.body.id}/grid-tasks`)).body.items[0];
  const other = task.assignee_id === ids.mate ? ids.gw : ids.mate;
  execFileSync('sqlite3', ['-cmd', '.timeout 10000', srv.db], { input:
    `UPDATE grid_tasks SET due_at = due_at - 7200, created_at = created_at - 7200 WHERE id = ${task.id};` });
  const page = await loginPage(browser, srv, 'community_official');
  await goto(page, srv, `/case/${c.body.id}`);
  const box = page.locator('section.case-gridtasks');
  const row = box.locator(`li[data-gridtask="${task.id}"]`);
  await row.getByText('已超时').waitFor();
  await row.getByText('转派其他网格员').click();
  const form = row.locator('form.task-transfer');
  await form.getByLabel('转派给').locator(`option[value="${other}"]`).waitFor({ state: 'attached' });
  await form.getByLabel('转派原因').fill('原网格员今天请假');
  assert.deepEqual(await axe(page), []);
  await shot(page, 'case-grid-task-reassign');
  await form.getByRole('button', { name: '确认转派' }).click();
  await page.getByText(/已转派给/).first().waitFor();
  const moved = (await srv.api('dispatcher', 'GET', `/cases/${c.body.id}/grid-tasks`)).body.items[0];
  assert.equal(moved.assignee_id, other);
  assert.deepEqual(page.errors, []);
});
