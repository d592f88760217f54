// The whole closed loop through the browser, one role per browser context: a citizen reports
// (with a photo and a map location) → the dispatcher dispatches → the department signs and
// replies → the citizen is unsatisfied → rectification → the department replies again → the
// citizen is satisfied → closed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, PNG } from './helper.mjs';

// Another picture (a different green), so the department's photo is not the citizen's again.
const PNG_AFTER = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGOQW2ADRAwQCgAa7gPphziBgAAAAABJRU5ErkJggg==', 'base64');

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

// The action buttons on the case page must be exactly the server's `actions` for this user.
async function assertActionsMatch(page, srv, user, id) {
  const shown = await page.locator('.actions button[data-action]').evaluateAll((bs) => bs.map((b) => b.dataset.action));
  const c = await srv.api(user, 'GET', `/cases/${id}`);
  assert.deepEqual(shown, c.body.actions, `${user}'s buttons`);
  return c.body;
}

async function act(page, action, fill) {
  await page.locator(`.actions button[data-action="${action}"]`).click();
  const form = page.locator(`form[data-form="${action}"]`);
  await form.waitFor();
  if (fill) await fill(form);
  await form.locator('button[type=submit]').click();
  // A successful action re-renders the case page, so its form goes away.
  await form.waitFor({ state: 'detached' });
}

async function stateOf(page) {
  return (await page.locator('.facts .badge').first().textContent()).trim();
}

test('citizen → dispatcher → department → unsatisfied → rectification → satisfied → closed', async () => {
  const citizen = await loginPage(browser, srv, 'citizen');
  await goto(citizen, srv, '/report');
  await citizen.getByLabel('问题描述').fill('青石社区东门垃圾三天没人清理，气味很大');
  await citizen.locator('.pick-map.leaflet-container').waitFor();
  await citizen.locator('.pick-map').scrollIntoViewIfNeeded();
  const box = await citizen.locator('.pick-map').boundingBox();
  await citizen.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await citizen.getByText(/已选位置/).waitFor();
  await citizen.getByLabel('照片').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: PNG });
  await citizen.getByRole('button', { name: '提交诉求' }).click();
  const done = citizen.locator('.done');
  await done.waitFor();
  const text = await done.textContent();
  const number = text.match(/编号 (\d{8}-\d{6})/)[1];
  assert.match(text, /查询码 \d{6}/);
  await shot(citizen, 'loop-1-citizen-reported');
  await done.getByRole('link').click();
  await citizen.locator('.case-page h1').waitFor();
  const id = Number(citizen.url().match(/case\/(\d+)/)[1]);
  assert.equal(await stateOf(citizen), '已受理');
  assert.equal(await citizen.locator('.photos img').count(), 1);
  assert.equal(await citizen.locator('svg.qr').count(), 1);
  const c0 = await assertActionsMatch(citizen, srv, 'citizen', id);
  assert.ok(c0.region_id, 'the map click located the case in a grid');

  // Dispatcher: the to-dispatch queue holds the case; dispatch it to 区城市管理局.
  const disp = await loginPage(browser, srv, 'dispatcher');
  await goto(disp, srv, '/dispatch');
  await disp.getByRole('link', { name: number }).click();
  await disp.locator('.case-page h1').waitFor();
  await assertActionsMatch(disp, srv, 'dispatcher', id);
  await act(disp, 'dispatch', async (f) => {
    await f.getByLabel('主办部门').selectOption({ label: '区城市管理局' });
  });
  assert.equal(await stateOf(disp), '待签收');
  await shot(disp, 'loop-2-dispatched');

  // Department: to-sign queue → sign → reply with a photo.
  const dept = await loginPage(browser, srv, 'handler_cgj');
  await goto(dept, srv, '/workbench?tab=to_sign');
  await dept.getByRole('link', { name: number }).click();
  await dept.locator('.case-page h1').waitFor();
  await assertActionsMatch(dept, srv, 'handler_cgj', id);
  await act(dept, 'sign');
  assert.equal(await stateOf(dept), '办理中');
  // The lead department may call the citizen back: the full number on request (audited).
  await dept.getByRole('button', { name: '查看联系电话' }).click();
  await dept.locator('.contact a[href^="tel:1"]').waitFor();
  const audit = await srv.api('admin', 'GET', '/audit?limit=20');
  assert.ok(audit.body.items.some((e) => e.action === 'case.contact.reveal'), 'the reveal is audited');
  await assertActionsMatch(dept, srv, 'handler_cgj', id);
  // An empty reply is refused by the server and the message sits under the result field.
  await dept.locator('.actions button[data-action="reply"]').click();
  const rf = dept.locator('form[data-form="reply"]');
  // Whether the citizen was reached and the problem solved are asked, never pre-ticked.
  for (const q of ['已联系诉求人', '问题已解决']) {
    const fs = rf.locator('fieldset', { hasText: q });
    assert.equal(await fs.locator('input:checked').count(), 0, q);
    await fs.getByLabel('是').check();
  }
  await rf.locator('button[type=submit]').click();
  const err = rf.locator('[data-fields~="result"] .error');
  await err.waitFor();
  assert.equal(await err.textContent(), '办理结果不符合要求：请填写办理结果，且不超过字数上限。');
  await rf.getByLabel('办理结果').fill('已安排环卫清运，垃圾已清理完毕');
  await rf.getByLabel('照片').setInputFiles({ name: 'after.png', mimeType: 'image/png', buffer: PNG_AFTER });
  await rf.locator('button[type=submit]').click();
  await rf.waitFor({ state: 'detached' });
  assert.equal(await stateOf(dept), '已答复');
  // The citizen's photo shows the problem (处置前), the department's the work done (处置后).
  assert.deepEqual(await dept.locator('.photos figcaption').allTextContents(), ['处置前', '处置后']);
  await shot(dept, 'loop-3-replied');

  // Citizen: unsatisfied.
  await goto(citizen, srv, '/mine');
  await citizen.locator(`li[data-case="${id}"] a`).first().click();
  await citizen.locator('.case-page h1').waitFor();
  // The citizen sees the department's photo as 处置后 too (the server says; the department's
  // attach step is not on the citizen's timeline).
  assert.deepEqual(await citizen.locator('.photos figcaption').allTextContents(), ['处置前', '处置后']);
  await assertActionsMatch(citizen, srv, 'citizen', id);
  await act(citizen, 'evaluate', async (f) => {
    await f.getByLabel('不满意').check();
    await f.getByLabel('意见（可选）').fill('还有垃圾没清走');
  });
  assert.equal(await stateOf(citizen), '办理中');

  // Department: the case is back in its to-handle queue; reply again.
  await goto(dept, srv, '/workbench?tab=to_handle');
  await dept.getByRole('link', { name: number }).click();
  await dept.locator('.case-page h1').waitFor();
  await assertActionsMatch(dept, srv, 'handler_cgj', id);
  await act(dept, 'reply', async (f) => {
    await f.getByLabel('办理结果').fill('已复查并彻底清理');
    for (const q of ['已联系诉求人', '问题已解决']) await f.locator('fieldset', { hasText: q }).getByLabel('是').check();
  });
  assert.equal(await stateOf(dept), '已答复');

  // Citizen: satisfied → closed; the timeline tells the whole story.
  await citizen.reload();
  await citizen.locator('.case-page h1').waitFor();
  await act(citizen, 'evaluate', async (f) => { await f.getByLabel('满意', { exact: true }).check(); });
  assert.equal(await stateOf(citizen), '已办结');
  await assertActionsMatch(citizen, srv, 'citizen', id);
  const tl = await citizen.locator('.timeline').textContent();
  for (const step of ['登记', '派单', '签收', '办结答复', '评价', '不满意', '满意']) assert.ok(tl.includes(step), step);
  // Internal steps in fixed texts, without the staff who took them (issue 11, item 13).
  assert.ok(tl.includes('工单已转交承办部门处理'), tl);
  assert.ok(!tl.includes('handler_cgj') && !tl.includes('dispatcher'), tl);
  const final = await srv.api('citizen', 'GET', `/cases/${id}`);
  assert.equal(final.body.state, 'closed');
  assert.equal(final.body.satisfaction, 'satisfied');
  assert.equal(final.body.rectify_round, 1);
  await shot(citizen, 'loop-4-closed');

  // The public lookup (what the QR code opens) shows the progress without signing in.
  const anon = await (await browser.newContext()).newPage();
  await anon.goto(`${srv.url}/#/lookup?number=${number}&code=${final.body.check_code}`);
  await anon.locator('.lookup-result h2').first().waitFor();
  assert.match(await anon.locator('.lookup-result').textContent(), /已办结/);

  for (const p of [citizen, disp, dept, anon]) assert.deepEqual(p.errors || [], []);
});

test('a department returns a case with its reason; the dispatcher reviews it and re-dispatches', async () => {
  const mk = await srv.api('operator', 'POST', '/cases', { title: '河道漂浮物', description: '柳湾河道有大量漂浮垃圾', channel: 'hotline' });
  let c = mk.body;
  const r = await srv.api('dispatcher', 'POST', `/cases/${c.id}/actions`, { version: c.version, action: 'dispatch', department: 2 });
  assert.equal(r.status, 200);

  const dept = await loginPage(browser, srv, 'handler_cgj');
  await goto(dept, srv, `/case/${c.id}`);
  await act(dept, 'return', async (f) => { await f.getByLabel('原因').fill('河道保洁不属于本局职责，应由水务部门办理'); });
  assert.equal(await stateOf(dept), '已退单');

  const disp = await loginPage(browser, srv, 'dispatcher');
  await goto(disp, srv, '/dispatch?tab=returned');
  // The queue says why it came back, and so does the 改派 form.
  const row = disp.locator(`.queue-list tr[data-case="${c.id}"]`);
  await row.waitFor();
  assert.match(await row.locator('td.return-reason').textContent(), /不属于本局职责/);
  await disp.getByRole('link', { name: c.number }).click();
  await disp.locator('.case-page h1').waitFor();
  assert.match(await disp.locator('.timeline').textContent(), /不属于本局职责/);
  await assertActionsMatch(disp, srv, 'dispatcher', c.id);
  const deps = (await srv.api('dispatcher', 'GET', '/departments')).body.items;
  const other = deps.find((d) => d.id !== 2 && d.active);
  await act(disp, 'redispatch', async (f) => {
    assert.match(await f.locator('.return-reason').textContent(), /退单理由：河道保洁不属于本局职责/);
    await f.getByLabel('主办部门').selectOption(String(other.id));
  });
  c = (await srv.api('dispatcher', 'GET', `/cases/${c.id}`)).body;
  assert.equal(c.state, 'dispatched');
  assert.equal(c.department_id, other.id);
  assert.equal(c.return_count, 1);
  assert.deepEqual([...dept.errors, ...disp.errors], []);
});
