// 吹哨报到 across three departments: the 青石街道 official blows the whistle on a case from its page,
// summoning 青石街道办事处, 区市政设施管理中心 and 区交通运输局; each department checks in (报到) and
// answers its sub-task on the case page; the lead (区城市管理局) assesses the three answers and
// reads their consolidated draft; the timeline shows every sub-task's steps; the lead's 办结 reply
// starts from that draft. Then the assessment screen shows each department's 协办单.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

async function ok(p) {
  const r = await p;
  assert.ok(r.status < 300, JSON.stringify(r.body));
  return r.body;
}

test('吹哨报到: a street official summons three departments, each checks in and answers, the lead assesses', async () => {
  const deps = Object.fromEntries((await srv.api('admin', 'GET', '/departments?limit=200')).body.items.map((d) => [d.code, d]));
  const regions = Object.fromEntries((await srv.api('admin', 'GET', '/regions?limit=500')).body.items.map((r) => [r.code, r]));
  const users = Object.fromEntries((await srv.api('admin', 'GET', '/users')).body.items.map((u) => [u.name, u]));
  // The demo's street official serves 青石街道; it has no handlers of SZZ and JTJ: two demo
  // accounts become them.
  await ok(srv.api('admin', 'PATCH', `/users/${users.operator.id}`, { roles: ['handler'], departments: [deps.SZZ.id] }));
  await ok(srv.api('admin', 'PATCH', `/users/${users.data_officer.id}`, { roles: ['handler'], departments: [deps.JTJ.id] }));
  let c = await ok(srv.api('citizen', 'POST', '/cases', { title: '青石路口积水', description: '雨后积水，井盖松动，路灯不亮', channel: 'app',
    region_id: regions['330179001001'].id }));
  for (const [user, body] of [['dispatcher', { action: 'dispatch', department: deps.CGJ.id }], ['handler_cgj', { action: 'sign' }]]) {
    c = await ok(srv.api(user, 'POST', `/cases/${c.id}/actions`, { version: c.version, ...body }));
  }

  const official = await loginPage(browser, srv, 'street_official');
  await goto(official, srv, `/case/${c.id}`);
  await official.locator('.case-assists button[data-assist-step="whistle"]').click();
  const f = official.locator('form[data-form="whistle"]');
  // Nothing chosen: refused under the departments.
  await f.getByLabel('吹哨事由').fill('积水、井盖、路灯涉及三家，请联合处置');
  await f.locator('button[type=submit]').click();
  await f.locator('.error:not([hidden])').first().waitFor();
  for (const code of ['QSJD', 'SZZ', 'JTJ']) await f.getByLabel(deps[code].name, { exact: true }).check();
  await f.getByLabel('报到时限（小时）').fill('2');
  await f.locator('button[type=submit]').click();
  const items = official.locator('.case-assists li.assist');
  await official.locator('.case-assists li.assist', { hasText: '待报到' }).nth(2).waitFor();
  assert.equal(await items.count(), 3);
  assert.match(await official.locator('.case-assists .whistle').textContent(), /联合处置/);
  await shot(official, 'whistle-blown');

  const answers = { QSJD: '路灯已修复', SZZ: '井盖已更换', JTJ: '已设置临时警示标志' };
  for (const [user, code] of [['handler_qsjd', 'QSJD'], ['operator', 'SZZ'], ['data_officer', 'JTJ']]) {
    const page = await loginPage(browser, srv, user);
    // The department finds its sub-task on its 协办单 screen, and opens the case from there.
    await goto(page, srv, '/assists');
    const row = page.locator('li.assist', { hasText: c.number });
    await row.waitFor();
    assert.match(await row.textContent(), /吹哨报到.*待报到/s);
    await row.getByRole('link', { name: c.number }).click();
    await page.locator('.case-assists li.assist').first().waitFor();
    const li = page.locator(`.case-assists li.assist[data-department="${deps[code].id}"]`);
    await li.locator('button[data-assist-step="sign"]').click();
    await page.locator(`.case-assists li.assist[data-department="${deps[code].id}"]`, { hasText: '已报到' }).waitFor();
    await li.locator('button[data-assist-step="reply"]').click();
    const fr = li.locator('form[data-form="assist-reply"]');
    await fr.getByLabel('协办答复').fill(answers[code]);
    await fr.locator('button[type=submit]').click();
    await page.locator(`.case-assists li.assist[data-department="${deps[code].id}"]`, { hasText: '待评价' }).waitFor();
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }

  // The lead assesses each answer and reads the consolidated draft.
  const lead = await loginPage(browser, srv, 'handler_cgj');
  await goto(lead, srv, `/case/${c.id}`);
  for (const code of ['QSJD', 'SZZ', 'JTJ']) {
    const li = lead.locator(`.case-assists li.assist[data-department="${deps[code].id}"]`);
    await li.locator('button[data-assist-step="assess"]').click();
    const fa = li.locator('form[data-form="assist-assess"]');
    // JTJ's answer is 基本满意 (the assessment below weighs it by k).
    await fa.getByLabel(code === 'JTJ' ? '基本满意' : '满意', { exact: true }).check();
    await fa.locator('button[type=submit]').click();
    await lead.locator(`.case-assists li.assist[data-department="${deps[code].id}"]`, { hasText: '已评价' }).waitFor();
  }
  const draft = await lead.locator('.case-assists .assist-draft').textContent();
  for (const code of ['QSJD', 'SZZ', 'JTJ']) assert.ok(draft.includes(`【${deps[code].name}】${answers[code]}`), draft);
  await shot(lead, 'whistle-assessed');
  await lead.reload();
  await lead.locator('main h1').waitFor();
  const tl = await lead.locator('.timeline').textContent();
  for (const step of ['吹哨报到', '报到', '协办答复', '协办评价']) assert.ok(tl.includes(step), step);
  assert.equal((tl.match(/协办评价/g) || []).length, 3);

  // 办结: the reply form starts from the consolidated draft; the lead edits it and sends it.
  await lead.locator('button[data-action="reply"]').click();
  const fr = lead.locator('form[data-form="reply"]');
  const result = fr.locator('textarea[name="result"]');
  await result.waitFor();
  const prefilled = await result.inputValue();
  for (const code of ['QSJD', 'SZZ', 'JTJ']) assert.ok(prefilled.includes(`【${deps[code].name}】${answers[code]}`), prefilled);
  assert.equal(prefilled, (await srv.api('handler_cgj', 'GET', `/cases/${c.id}/assists`)).body.draft);
  assert.match(await fr.locator('.draft-prefilled').textContent(), /协办部门的答复汇总/);
  await result.fill(`经三家联合处置：\n${prefilled}\n积水已排除。`);
  for (const name of ['contacted', 'solved']) await fr.locator(`input[name="${name}"][value="true"]`).check();
  await fr.locator('button[type=submit]').click();
  await lead.locator('.timeline', { hasText: '积水已排除' }).waitFor();
  const replied = (await srv.api('handler_cgj', 'GET', `/cases/${c.id}`)).body;
  const note = replied.timeline.filter((e) => e.action === 'reply').pop().note;
  assert.ok(note.startsWith('经三家联合处置：') && note.includes(`【${deps.SZZ.name}】${answers.SZZ}`), note);
  assert.deepEqual([...official.errors, ...lead.errors], []);
});

test('考核: the assessment screen counts each department\'s 协办单 under Chinese headings', async () => {
  const deps = Object.fromEntries((await srv.api('admin', 'GET', '/departments?limit=200')).body.items.map((d) => [d.code, d]));
  const page = await loginPage(browser, srv, 'supervisor');
  await goto(page, srv, '/assessment');
  const table = page.locator('table.assess-assists');
  await table.waitFor();
  const heads = (await table.locator('thead th').allTextContents()).map((x) => x.trim());
  assert.deepEqual(heads, ['名称', '协办单', '派单协办', '吹哨报到', '按时签收／报到率', '按时答复率', '满意', '基本满意', '不满意',
    '协办满意率', '退回重办', '当前超期']);
  // From the test above: each of the three checked in within 2 hours and answered before the
  // joint deadline; QSJD and SZZ rated 满意, JTJ 基本满意 (k = 0.9).
  for (const [code, sat] of [['QSJD', ['1', '0', '100.0%']], ['SZZ', ['1', '0', '100.0%']], ['JTJ', ['0', '1', '90.0%']]]) {
    const cells = (await table.locator(`tr[data-assist-group="${deps[code].id}"] td`).allTextContents()).map((x) => x.trim());
    assert.deepEqual(cells, ['1', '0', '1', '100.0%（1／1）', '100.0%（1／1）', sat[0], sat[1], '0', sat[2], '0', '0'], code);
  }
  // The API behind it: the same figures.
  const month = (await srv.api('supervisor', 'GET', `/stats/assessment?from=${encodeURIComponent(new Date(Date.now() - 86400e3).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 86400e3).toISOString())}`)).body;
  const jtj = month.rows.find((x) => x.code === 'JTJ');
  assert.equal(jtj.assists_whistle, 1);
  assert.ok(Math.abs(jtj.assist_satisfaction_rate - 0.9) < 1e-9);
  assert.deepEqual(await axe(page), []);
  await shot(page, 'whistle-assessment');
  assert.deepEqual(page.errors, []);
});
