// 督办单: the supervisor issues an order from the case page; the department finds it on its 督办单
// screen and writes its answer; the supervisor accepts it on the case page. The orders' states and
// the department's answer show on both screens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

function localInput(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

test('a supervisor issues a 督办单, the department answers, the supervisor accepts', async () => {
  let c = (await srv.api('operator', 'POST', '/cases', { title: '夜间施工噪音', description: '工地每晚十一点后仍在施工', channel: 'hotline' })).body;
  for (const [user, body] of [['dispatcher', { action: 'dispatch', department: 2 }], ['handler_cgj', { action: 'sign' }]]) {
    const r = await srv.api(user, 'POST', `/cases/${c.id}/actions`, { version: c.version, ...body });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    c = r.body;
  }

  const sup = await loginPage(browser, srv, 'supervisor');
  await goto(sup, srv, `/case/${c.id}`);
  await sup.locator('.case-orders button[data-order-step="issue"]').click();
  const f = sup.locator('form[data-form="order-issue"]');
  await f.getByLabel('督办级别').selectOption({ label: '挂牌督办' });
  await f.getByLabel('督办要求').fill('请于两日内查明施工许可并书面答复');
  // A deadline in the past is refused under its field.
  await f.getByLabel('答复期限').fill(localInput(Date.now() - 3600000));
  await f.locator('button[type=submit]').click();
  await f.locator('.error:not([hidden])').first().waitFor();
  await f.getByLabel('答复期限').fill(localInput(Date.now() + 2 * 86400000));
  await f.locator('button[type=submit]').click();
  const item = sup.locator('.case-orders li.order');
  await item.waitFor();
  assert.match(await item.textContent(), /挂牌督办.*待答复/s);
  assert.match(await item.textContent(), /剩余/);
  await shot(sup, 'order-issued');

  // The department's 督办单 screen lists it with time left; it answers there.
  const dept = await loginPage(browser, srv, 'handler_cgj');
  await goto(dept, srv, '/orders');
  const row = dept.locator('li.order', { hasText: c.number });
  await row.waitFor();
  assert.match(await row.textContent(), /请于两日内查明施工许可并书面答复/);
  await row.locator('button[data-order-step="answer"]').click();
  const fa = row.locator('form[data-form="order-answer"]');
  await fa.getByLabel('书面答复').fill('经查该工地已办理夜间施工许可，已责令其22时后停止高噪音作业');
  await fa.locator('button[type=submit]').click();
  await dept.locator('li.order', { hasText: '待审核' }).waitFor();
  await shot(dept, 'order-answered');

  // The supervisor accepts it on the case page.
  await sup.reload();
  await sup.locator('main h1').waitFor();
  const it = sup.locator('.case-orders li.order');
  await it.locator('.order-answer', { hasText: '已责令其22时后停止高噪音作业' }).waitFor();
  await it.locator('button[data-order-step="accept"]').click();
  const fc = it.locator('form[data-form="order-accept"]');
  await fc.getByLabel('说明').fill('答复清楚');
  await fc.locator('button[type=submit]').click();
  await sup.locator('.case-orders li.order', { hasText: '已办结' }).waitFor();
  assert.match(await sup.locator('.case-orders li.order').textContent(), /按时答复/);
  // The timeline records each step.
  await sup.reload();
  await sup.locator('main h1').waitFor();
  const tl = await sup.locator('.timeline').textContent();
  for (const step of ['开具督办单', '督办单书面答复', '督办单答复通过']) assert.ok(tl.includes(step), step);
  // On the supervisor's list, filtered to done orders.
  await goto(sup, srv, '/orders');
  await sup.getByLabel('状态').selectOption({ label: '已办结' });
  await sup.getByRole('button', { name: '查询' }).click();
  await sup.locator('li.order', { hasText: c.number }).waitFor();
  await shot(sup, 'order-list');
  // The assessment screen counts it for the department, answered on time.
  await goto(sup, srv, '/assessment');
  const cgj = (await srv.api('admin', 'GET', '/departments')).body.items.find((d) => d.code === 'CGJ');
  const assessRow = sup.locator(`tr[data-group="${cgj.id}"]`);
  await assessRow.waitFor();
  const cells = await assessRow.locator('td').allTextContents();
  assert.deepEqual(cells.slice(-2), ['1', '100.0%']);
  assert.deepEqual([...sup.errors, ...dept.errors], []);
});
