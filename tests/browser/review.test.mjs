// 办结审核: the admin sets a review rule on a category; a department's reply in it waits on the
// centre's 待审核 tab; the dispatcher sends it back with a reason, which the department reads on the
// case page; the second reply is accepted by the supervisor, and only then does the citizen see it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

async function act(user, c, body) {
  const r = await srv.api(user, 'POST', `/cases/${c.id}/actions`, { version: c.version, ...body });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

test('a reply that needs review is sent back, then accepted', async () => {
  // The admin's 办结审核 tab: 占道经营 (010201) needs review.
  const admin = await loginPage(browser, srv, 'admin');
  await goto(admin, srv, '/admin/review');
  await admin.getByLabel('分类').selectOption({ label: '占道经营' });
  await admin.getByRole('button', { name: '保存' }).click();
  await admin.locator('table', { hasText: '占道经营' }).waitFor();
  assert.match(await admin.locator('table').textContent(), /须审核/);
  await shot(admin, 'review-rules');

  let c = (await srv.api('citizen', 'POST', '/cases', { title: '门口摆摊', description: '小区门口有人摆摊占用人行道', channel: 'app' })).body;
  c = await act('dispatcher', c, { action: 'dispatch', department: 2, category: 10 });
  c = await act('handler_cgj', c, { action: 'sign' });
  c = await act('handler_cgj', c, { action: 'reply', result: '已处理', contacted: true, solved: true });
  assert.equal(c.state, 'reviewing');

  // The dispatcher finds it on the 待审核 tab and sends it back with a reason.
  const disp = await loginPage(browser, srv, 'dispatcher');
  await goto(disp, srv, '/dispatch?tab=reviewing');
  const row = disp.locator(`tr[data-case="${c.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /待审核/);
  await row.getByRole('link', { name: c.number }).click();
  await disp.locator('.review-box', { hasText: '已处理' }).waitFor();
  await disp.locator('.actions button[data-action="send_back"]').click();
  const f = disp.locator('form[data-form="send_back"]');
  await f.getByLabel('原因').fill('答复过于简单，请写明处理措施');
  await f.locator('button[type=submit]').click();
  await f.waitFor({ state: 'detached' });
  await shot(disp, 'review-sent-back');

  // The department reads why on the case page.
  const dept = await loginPage(browser, srv, 'handler_cgj');
  await goto(dept, srv, `/case/${c.id}`);
  await dept.locator('.sent-back', { hasText: '答复过于简单，请写明处理措施' }).waitFor();
  assert.match(await dept.locator('.sent-back').textContent(), /答复被退回/);

  // The citizen has not seen the reply that was sent back.
  const cit = await loginPage(browser, srv, 'citizen');
  await goto(cit, srv, `/case/${c.id}`);
  assert.equal(await cit.locator('.reply-box').count(), 0);
  assert.doesNotMatch(await cit.locator('main').textContent(), /已处理/);

  c = (await srv.api('handler_cgj', 'GET', `/cases/${c.id}`)).body;
  c = await act('handler_cgj', c, { action: 'reply', result: '已派城管队员劝离摊贩并每日巡查', contacted: true, solved: true });

  // The supervisor accepts it from the case page.
  const sup = await loginPage(browser, srv, 'supervisor');
  await goto(sup, srv, '/supervise?tab=reviewing');
  await sup.locator(`tr[data-case="${c.id}"]`).waitFor();
  await goto(sup, srv, `/case/${c.id}`);
  await sup.locator('.actions button[data-action="accept"]').click();
  const fa = sup.locator('form[data-form="accept"]');
  await fa.locator('button[type=submit]').click();
  await fa.waitFor({ state: 'detached' });
  assert.equal((await srv.api('supervisor', 'GET', `/cases/${c.id}`)).body.state, 'replied');

  // Now the citizen reads the reply and may evaluate.
  await cit.reload();
  await cit.locator('main h1').waitFor();
  await cit.locator('.reply-box', { hasText: '已派城管队员劝离摊贩并每日巡查' }).waitFor();
  assert.equal(await cit.locator('.actions button[data-action="evaluate"]').count(), 1);
  await shot(cit, 'review-citizen-reply');
  assert.deepEqual([...admin.errors, ...disp.errors, ...dept.errors, ...cit.errors, ...sup.errors], []);
});
