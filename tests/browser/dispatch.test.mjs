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

test('the category tree picker and the department picker: browse, search, chips', async () => {
  const c = await create({ title: '分类选择', urgency: 'normal' });
  const cats = (await srv.api('dispatcher', 'GET', '/categories?active=true&limit=1000')).body.items;
  const byId = new Map(cats.map((x) => [x.id, x]));
  // A third-level entry and its ancestors, to open the tree level by level.
  const leaf = cats.find((x) => x.parent_id && byId.get(x.parent_id)?.parent_id);
  const mid = byId.get(leaf.parent_id);
  const top = byId.get(mid.parent_id);
  const other = cats.find((x) => x.parent_id && x.id !== leaf.id && x.name !== leaf.name && !cats.some((y) => y.id !== x.id && y.name === x.name));
  const deps = (await srv.api('dispatcher', 'GET', '/departments')).body.items.filter((x) => x.active !== false);
  const cgj = deps.find((x) => x.code === 'CGJ');
  const [a1, a2] = deps.filter((x) => x.id !== cgj.id);

  const d = await loginPage(browser, srv, 'dispatcher');
  await goto(d, srv, `/case/${c.id}`);
  await d.locator('.actions button[data-action="dispatch"]').click();
  const f = d.locator('form[data-form="dispatch"]');
  await f.waitFor();
  await f.getByLabel('主办部门').selectOption(String(cgj.id));
  // Browse: open the first level, then the second, and choose the third.
  const picker = f.locator('.picker[data-fields~=category]');
  await picker.getByRole('button', { name: '按层级浏览' }).click();
  await picker.getByRole('button', { name: `展开 ${top.name}`, exact: true }).click();
  await picker.getByRole('button', { name: `展开 ${mid.name}`, exact: true }).click();
  await picker.locator(`button.pick[data-category="${leaf.id}"]`).click();
  assert.equal(await picker.locator('.picked .chip').textContent(), `${top.name} / ${mid.name} / ${leaf.name}`);
  assert.ok(await picker.locator('.picker-panel').isHidden());
  // Search: typing a name offers the matches; Enter takes the first.
  await picker.getByRole('searchbox').fill(other.name);
  await picker.locator(`button.pick[data-category="${other.id}"]`).waitFor();
  await picker.getByRole('searchbox').press('Enter');
  assert.equal(await picker.locator('input[type=hidden]').inputValue(), String(other.id));
  // Assisting departments: found by name, kept as chips, one removed again; the lead is not offered.
  const dp = f.locator('.picker[data-fields~=assisting]');
  await dp.getByRole('searchbox').fill(cgj.name);
  assert.equal(await dp.locator(`button.pick[data-department="${cgj.id}"]`).count(), 0);
  for (const x of [a1, a2]) {
    await dp.getByRole('searchbox').fill(x.name);
    await dp.locator(`button.pick[data-department="${x.id}"]`).click();
  }
  assert.deepEqual(await dp.locator('.chips .chip').evaluateAll((els) => els.map((e) => Number(e.dataset.department))), [a1.id, a2.id]);
  await dp.getByRole('button', { name: `移除 ${a2.name}` }).click();
  await shot(d, 'dispatch-2-pickers');
  assert.deepEqual(await axe(d), []);
  await f.locator('button[type=submit]').click();
  await f.waitFor({ state: 'detached' });
  const full = (await srv.api('dispatcher', 'GET', `/cases/${c.id}`)).body;
  assert.equal(full.state, 'dispatched');
  assert.equal(full.category_id, other.id);
  assert.deepEqual(full.assisting, [a1.id]);
  assert.deepEqual(d.errors, []);
});

test('time left shows on the handler phone-width list', async () => {
  const c = await create({ title: '手机时限', urgency: 'normal' });
  const deps = (await srv.api('dispatcher', 'GET', '/departments')).body.items;
  const cgj = deps.find((x) => x.code === 'CGJ');
  const r = await srv.api('dispatcher', 'POST', `/cases/${c.id}/actions`, { action: 'dispatch', version: c.version, department: cgj.id });
  assert.equal(r.status, 200);
  const hd = await loginPage(browser, srv, 'handler_cgj', { viewport: { width: 390, height: 844 } });
  await goto(hd, srv, '/workbench?tab=to_sign');
  const badge = hd.locator(`tr[data-case="${c.id}"] .time-left`);
  await badge.waitFor();
  assert.ok(await badge.isVisible());
  assert.match(await badge.textContent(), /^剩余\d/);
  assert.deepEqual(hd.errors, []);
});

test('time left is green with time to spare, amber under a quarter left, red once late', async () => {
  const c = await create({ title: '时限颜色', urgency: 'emergency' });
  const deps = (await srv.api('dispatcher', 'GET', '/departments')).body.items;
  const cgj = deps.find((x) => x.code === 'CGJ');
  const r = await srv.api('dispatcher', 'POST', `/cases/${c.id}/actions`, { action: 'dispatch', version: c.version, department: cgj.id });
  assert.equal(r.status, 200);
  const due = Date.parse(r.body.deadlines.resolve);
  const from = Date.parse(r.body.dispatched_at || r.body.created_at);
  assert.ok(due - from >= 3 * 3600e3, 'an emergency case has hours to its resolve deadline');
  const hd = await loginPage(browser, srv, 'handler_cgj');
  const badge = hd.locator(`tr[data-case="${c.id}"] .time-left`);
  // The browser's clock is moved; the server's flag stays "not overdue", so the colour is the
  // browser's reading of the deadline.
  for (const [at, cls, text] of [[from + 60e3, 'ok', /^剩余\d/], [due - 30 * 60e3, 'soon', /^剩余30分钟$/], [due + 2 * 3600e3, 'late', /^已超期2小时$/]]) {
    await hd.clock.setFixedTime(at);
    await goto(hd, srv, '/workbench?tab=to_sign');
    await hd.reload();
    await badge.waitFor();
    assert.equal(await badge.getAttribute('class'), `time-left ${cls}`);
    assert.match(await badge.textContent(), text);
  }
  assert.deepEqual(hd.errors, []);
});

test('并单 by case number: the duplicate is picked from the triage candidates, never by an internal id', async () => {
  const first = await create({ title: '井盖缺失并单主单', description: '人民路与解放路交叉口井盖缺失，很危险' });
  const dup = await create({ title: '井盖缺失重复', description: '人民路与解放路交叉口井盖缺失，很危险' });
  const d = await loginPage(browser, srv, 'dispatcher');
  await goto(d, srv, `/case/${dup.id}`);
  await d.locator('.actions button[data-action="merge"]').click();
  const f = d.locator('form[data-form="merge"]');
  await f.waitFor();
  // A number that is no case is refused under the field, in words.
  await f.getByLabel('并入的工单编号').fill('19990101-000001');
  await f.locator('button[type=submit]').click();
  await f.locator('[data-fields~="master"] .error', { hasText: '没有找到编号为 19990101-000001 的工单' }).waitFor();
  await f.getByRole('button', { name: `选用工单 ${first.number}` }).click();
  assert.equal(await f.getByLabel('并入的工单编号').inputValue(), first.number);
  await f.locator('button[type=submit]').click();
  await f.waitFor({ state: 'detached' });
  const after = (await srv.api('dispatcher', 'GET', `/cases/${dup.id}`)).body;
  assert.equal(after.state, 'merged');
  assert.equal(after.master_id, first.id);
  assert.deepEqual(d.errors, []);
});
