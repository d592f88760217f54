// Supervision over time: with the server's test clock moved past a deadline and the sweeper
// run, the overdue case is on the supervisor's board and the department's overdue tab, and the
// supervisor urges it from the case page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto } from './helper.mjs';

let srv;
let browser;
before(async () => {
  srv = await startServer(['--test-clock', '--session-ttl', '31536000', '--sweep-interval', '86400']);
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.stop(); });

test('an overdue case reaches the overdue boards and the supervisor urges it', async () => {
  const mk = await srv.api('operator', 'POST', '/cases', { title: '燃气管道异味', description: '小区燃气管道附近有异味，请尽快排查',
    channel: 'hotline', urgency: 'urgent' });
  assert.equal(mk.status, 201);
  let c = mk.body;
  for (const [user, body] of [['dispatcher', { action: 'dispatch', department: 2 }], ['handler_cgj', { action: 'sign' }]]) {
    const r = await srv.api(user, 'POST', `/cases/${c.id}/actions`, { version: c.version, ...body });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    c = r.body;
  }
  // Urgent cases must be resolved within 24 natural hours: three days later it is overdue.
  const later = new Date(Date.now() + 3 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
  assert.equal((await srv.api('admin', 'PUT', '/test/clock', { now: later })).status, 200);
  const sweep = await srv.api('supervisor', 'POST', '/admin/sweep');
  assert.equal(sweep.status, 200);
  assert.ok(sweep.body.newly_overdue >= 1);

  const sup = await loginPage(browser, srv, 'supervisor');
  await goto(sup, srv, '/supervise');
  const row = sup.locator(`tr[data-case="${c.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /已超期/);
  await shot(sup, 'supervise-overdue');
  await row.getByRole('link', { name: c.number }).click();
  await sup.locator('.case-page h1').waitFor();
  await sup.locator('.actions button[data-action="urge"]').click();
  const f = sup.locator('form[data-form="urge"]');
  await f.getByLabel('说明').fill('请今天内处理完毕并答复');
  await f.locator('button[type=submit]').click();
  await f.waitFor({ state: 'detached' });
  assert.match(await sup.locator('.timeline').textContent(), /请今天内处理完毕并答复/);

  const dept = await loginPage(browser, srv, 'handler_cgj');
  await goto(dept, srv, '/workbench?tab=overdue');
  await dept.locator(`tr[data-case="${c.id}"]`).waitFor();
  const after = (await srv.api('supervisor', 'GET', `/cases/${c.id}`)).body;
  assert.equal(after.overdue, true);
  assert.ok(after.urge_count >= 1);
  assert.deepEqual([...sup.errors, ...dept.errors], []);
});

test('the overdue board shows how late and how often urged, and urges several cases at once', async () => {
  const made = [];
  for (const title of ['路灯不亮批量督办一', '路灯不亮批量督办二']) {
    let c = (await srv.api('operator', 'POST', '/cases', { title, description: '路灯不亮', channel: 'hotline', urgency: 'urgent' })).body;
    for (const [user, body] of [['dispatcher', { action: 'dispatch', department: 2 }], ['handler_cgj', { action: 'sign' }]]) {
      c = (await srv.api(user, 'POST', `/cases/${c.id}/actions`, { version: c.version, ...body })).body;
    }
    made.push(c);
  }
  const later = new Date(Date.now() + 6 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
  assert.equal((await srv.api('admin', 'PUT', '/test/clock', { now: later })).status, 200);
  assert.equal((await srv.api('supervisor', 'POST', '/admin/sweep')).status, 200);
  const sup = await loginPage(browser, srv, 'supervisor');
  await goto(sup, srv, '/supervise');
  for (const c of made) {
    const row = sup.locator(`tr[data-case="${c.id}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /已督办 1 次/);
    await sup.getByLabel(`选择工单 ${c.number}`).check();
  }
  await sup.locator('.bulk-bar input[name=note]').fill('限今日内处理完毕');
  // A formal 督办单 for each as well: its deadline is asked for before anything is sent.
  await sup.locator('.bulk-bar input[name=with_order]').check();
  await sup.locator('.bulk-bar select[name=level]').selectOption('key');
  await sup.getByRole('button', { name: '批量督办' }).click();
  await sup.locator('.bulk-bar .error:not([hidden])', { hasText: '答复期限' }).waitFor();
  assert.equal((await srv.api('supervisor', 'GET', `/cases/${made[0].id}`)).body.urge_count, 1, 'nothing sent');
  const due = new Date(Date.parse(later) + 2 * 86400000 + 8 * 3600000).toISOString().slice(0, 16);
  await sup.locator('.bulk-bar input[name=deadline]').fill(due);
  await sup.getByRole('button', { name: '批量督办' }).click();
  await sup.locator('.toast', { hasText: '已督办 2 件；开具督办单 2 份' }).waitFor();
  for (const c of made) {
    const after = (await srv.api('supervisor', 'GET', `/cases/${c.id}`)).body;
    assert.equal(after.urge_count, 2);
    assert.equal(after.timeline.filter((e) => e.action === 'urge' && e.note === '限今日内处理完毕').length, 1);
    const orders = (await srv.api('supervisor', 'GET', `/cases/${c.id}/supervision-orders`)).body.items;
    assert.equal(orders.length, 1);
    assert.equal(orders[0].level, 'key');
    assert.equal(orders[0].instruction, '限今日内处理完毕');
  }
  assert.deepEqual(sup.errors, []);
});
