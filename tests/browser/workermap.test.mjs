// 网格员派单 (issue 15 item 7): the dispatcher opens the worker map, picks a located case, reads
// the suggested grid workers with their reasons in words, and accepts the first: the case is
// assigned to that worker (the 'assign' action names them) and the worker is notified.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

test('the dispatcher accepts a suggested grid worker from the worker map', async () => {
  const gw = (await srv.api('admin', 'GET', '/users')).body.items.find((u) => u.name === 'grid_worker');
  const box = (await srv.api('admin', 'GET', `/regions/${gw.region_id}`)).body.boundary.coordinates[0];
  const cats = (await srv.api('admin', 'GET', '/categories?level=3')).body.items;
  const cat = cats.find((c) => c.code.startsWith('01'));
  const made = await srv.api('operator', 'POST', '/cases', {
    title: '派单地图测试：垃圾堆放', description: '路口垃圾堆放', channel: 'hotline', category: cat.id,
    lat: (box[0][1] + box[2][1]) / 2, lon: (box[0][0] + box[2][0]) / 2, citizen: { name: '市民戊', phone: '13900005555' } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const c = made.body;
  const sug = (await srv.api('dispatcher', 'GET', `/cases/${c.id}/worker-suggestions`)).body.items;
  assert.ok(sug.length > 0, 'someone of the grid is on duty at any hour');

  const p = await loginPage(browser, srv, 'dispatcher');
  await goto(p, srv, '/worker-map');
  await p.locator('h1', { hasText: '网格员派单地图' }).waitFor();
  await p.locator(`li[data-case="${c.id}"] button`).click();
  const first = p.locator('.workermap-sug-list li').first();
  await first.waitFor();
  assert.equal(await first.getAttribute('data-worker'), String(sug[0].user_id));
  assert.match(await first.textContent(), /预计\d+分钟到达/);
  assert.match(await first.textContent(), /本网格网格员/);
  // The case and the suggested workers are drawn on the map.
  assert.ok(await p.locator('.workermap-map path.leaflet-interactive').count() >= 2);
  await shot(p, 'workermap-1-suggestions');
  assert.deepEqual(await axe(p), []);

  await first.locator('button', { hasText: '接受' }).click();
  await p.locator('.workermap-suggestions .done', { hasText: c.number }).waitFor();
  const after = (await srv.api('admin', 'GET', `/cases/${c.id}`)).body;
  const ev = after.timeline[after.timeline.length - 1];
  assert.equal(ev.action, 'assign');
  assert.equal(ev.payload.assignee, sug[0].user_id);
  assert.equal(ev.note, '接受系统推荐');
  const w = (await srv.api('admin', 'GET', `/grid-workers/${sug[0].user_id}`)).body;
  assert.ok(w.load >= 1);
  await shot(p, 'workermap-2-assigned');
});

test('the dispatcher plans a batch, overrides one row and accepts them all', async () => {
  const gw = (await srv.api('admin', 'GET', '/users')).body.items.find((u) => u.name === 'grid_worker');
  const box = (await srv.api('admin', 'GET', `/regions/${gw.region_id}`)).body.boundary.coordinates[0];
  const cat = (await srv.api('admin', 'GET', '/categories?level=3')).body.items.find((c) => c.code.startsWith('01'));
  const made = [];
  for (let i = 0; i < 3; i++) {
    const r = await srv.api('operator', 'POST', '/cases', {
      title: `批量派单测试${i + 1}：占道堆物`, description: '人行道上堆放杂物', channel: 'hotline', category: cat.id,
      lat: box[0][1] + (box[2][1] - box[0][1]) * (0.3 + 0.2 * i), lon: box[0][0] + (box[2][0] - box[0][0]) * 0.5,
      citizen: { name: '市民己', phone: '13900006666' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made.push(r.body);
  }
  const p = await loginPage(browser, srv, 'dispatcher');
  await goto(p, srv, '/worker-map');
  await p.locator('h1', { hasText: '网格员派单地图' }).waitFor();
  for (const c of made) await p.locator(`input[name="plan_case"][value="${c.id}"]`).check();
  await p.locator('form[data-form="plan"] input[name="cap"]').fill('1');
  await p.locator('form[data-form="plan"] button', { hasText: '生成批量派单方案' }).click();
  const table = p.locator('table.workermap-plan-table');
  await table.waitFor();
  assert.equal(await table.locator('tbody tr').count(), 3);
  assert.match(await p.locator('.workermap-suggestions').textContent(), /共 3 件，已为 3 件找到网格员/);
  // cap 1: three different workers proposed, each with the reason in words.
  const proposed = [];
  for (const c of made) {
    const row = table.locator(`tr[data-plan-case="${c.id}"]`);
    proposed.push(await row.locator('select').inputValue());
    assert.match(await row.textContent(), /预计\d+分钟到达/);
  }
  assert.equal(new Set(proposed).size, 3, proposed.join(','));
  // Override the second row with a worker the plan did not pick.
  const sel = table.locator(`tr[data-plan-case="${made[1].id}"] select`);
  const values = await sel.locator('option').evaluateAll((os) => os.map((o) => o.value));
  const other = values.find((v) => v && !proposed.includes(v));
  await sel.selectOption(other);
  await shot(p, 'workermap-3-plan');
  assert.deepEqual(await axe(p), []);
  await p.locator('.workermap-suggestions button', { hasText: '全部接受' }).click();
  await table.locator('td.plan-status.done').nth(2).waitFor();
  const want = [proposed[0], other, proposed[2]];
  for (let i = 0; i < 3; i++) {
    const c = (await srv.api('admin', 'GET', `/cases/${made[i].id}`)).body;
    const ev = c.timeline[c.timeline.length - 1];
    assert.equal(ev.action, 'assign');
    assert.equal(String(ev.payload.assignee), want[i]);
    assert.equal(ev.note, i === 1 ? '派单员改派' : '接受系统推荐');
  }
});

test('the admin sees the grid workers and changes one worker\'s shifts', async () => {
  const gw = (await srv.api('admin', 'GET', '/users')).body.items.find((u) => u.name === 'grid_worker');
  const p = await loginPage(browser, srv, 'admin');
  await goto(p, srv, '/admin/workers');
  await p.locator('caption', { hasText: '网格员' }).waitFor({ state: 'attached' });
  const row = p.locator('tr', { hasText: gw.display_name });
  await row.first().waitFor();
  assert.match(await row.first().textContent(), /专职网格员/);
  assert.match(await row.first().textContent(), /08:00-20:00/);
  await p.selectOption('select[name="user"]', String(gw.id));
  await p.selectOption('select[name="shifts"]', 'office');
  await p.locator('form button[type="submit"]').click();
  await p.locator('tr', { hasText: gw.display_name }).filter({ hasText: '08:30-17:30' }).first().waitFor();
  const w = (await srv.api('admin', 'GET', `/grid-workers/${gw.id}`)).body;
  assert.equal(w.shifts.length, 5);
  assert.deepEqual(w.grids.map((g) => g.id), [gw.region_id]);
  await shot(p, 'workermap-3-admin');
  assert.deepEqual(await axe(p), []);
});
