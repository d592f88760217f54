// The dispatcher's day (issue 13): several new cases selected and dispatched at once, each as its
// own action with its own event; 特急 cases pinned above the queue; waiting time and time left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

async function create(body) {
  const r = await srv.api('operator', 'POST', '/cases', { channel: 'hotline', description: '批量派单测试', ...body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

test('the dispatcher bulk-dispatches selected cases; each gets its own dispatch event', async () => {
  const made = [];
  for (let i = 0; i < 3; i++) made.push(await create({ title: `批量派单 ${i}`, urgency: 'normal' }));
  const urgent = await create({ title: '燃气泄漏特急', urgency: 'emergency' });
  const d = await loginPage(browser, srv, 'dispatcher');
  await goto(d, srv, '/dispatch');
  // 特急 first, in its own table above the queue.
  const pinned = d.locator('.pinned tr[data-case]');
  await pinned.first().waitFor();
  assert.equal(await pinned.first().getAttribute('data-case'), String(urgent.id));
  assert.equal(await d.locator(`.queue-list tr[data-case="${urgent.id}"]`).count(), 0);
  // Waiting time is shown for each row.
  assert.match(await d.locator(`.queue-list tr[data-case="${made[0].id}"]`).textContent(), /\d+(分钟|小时|天)/);
  for (const c of made) await d.getByLabel(`选择工单 ${c.number}`).check();
  assert.equal(await d.locator('.bulk-count').textContent(), '已选 3 件');
  const deps = (await srv.api('dispatcher', 'GET', '/departments')).body.items;
  const cgj = deps.find((x) => x.code === 'CGJ');
  await d.locator('.bulk-bar select[name=department]').selectOption(String(cgj.id));
  await d.locator('.bulk-bar input[name=note]').fill('同一路段，一并处理');
  await d.getByRole('button', { name: '批量派单' }).click();
  await d.locator('.toast', { hasText: '已派出 3 件' }).waitFor();
  for (const c of made) {
    const full = (await srv.api('dispatcher', 'GET', `/cases/${c.id}`)).body;
    assert.equal(full.state, 'dispatched');
    assert.equal(full.department_id, cgj.id);
    const ev = full.timeline.filter((e) => e.action === 'dispatch');
    assert.equal(ev.length, 1);
    assert.equal(ev[0].note, '同一路段，一并处理');
    await d.locator(`.queue-list tr[data-case="${c.id}"]`).waitFor({ state: 'detached' });
  }
  await shot(d, 'dispatch-1-bulk');
  assert.deepEqual(await axe(d), []);
  assert.deepEqual(d.errors, []);
});

test('time left shows on the case page, and the reply asks whether it was solved', async () => {
  const c = await create({ title: '时限显示', urgency: 'urgent' });
  const deps = (await srv.api('dispatcher', 'GET', '/departments')).body.items;
  const cgj = deps.find((x) => x.code === 'CGJ');
  let r = await srv.api('dispatcher', 'POST', `/cases/${c.id}/actions`, { action: 'dispatch', version: c.version, department: cgj.id });
  r = await srv.api('handler_cgj', 'POST', `/cases/${c.id}/actions`, { action: 'sign', version: r.body.version });
  assert.equal(r.status, 200);
  const hd = await loginPage(browser, srv, 'handler_cgj');
  await goto(hd, srv, `/case/${c.id}`);
  assert.match(await hd.locator('.time-left').first().textContent(), /^剩余/);
  await hd.locator('button[data-action=reply]').click();
  // Neither 是 nor 否 is chosen for "问题已解决" until the handler answers.
  const solved = hd.locator('fieldset', { hasText: '问题已解决' });
  await solved.waitFor();
  assert.equal(await solved.locator('input:checked').count(), 0);
  assert.deepEqual(hd.errors, []);
});
