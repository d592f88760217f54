// 申诉 and 自动化决策公示 (issue 13, item 8): a citizen who reported by phone appeals the closure on
// the public lookup (number and check code, no account); a supervisor upholds it in the appeals
// queue and the case is reopened; the citizen reads the outcome on the lookup. The public register
// of automatic decisions shows the running model's version and the per-class figures the API
// computes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

async function closedHotlineCase() {
  const r = await srv.api('operator', 'POST', '/cases', { title: '路灯不亮', description: '小区东门的路灯坏了一个星期，晚上很黑',
    channel: 'hotline', citizen: { name: '王五', phone: '13812349000' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  let c = r.body;
  const act = async (user, body) => {
    const x = await srv.api(user, 'POST', `/cases/${c.id}/actions`, { version: c.version, ...body });
    assert.equal(x.status, 200, JSON.stringify(x.body));
    c = { ...c, ...x.body };
  };
  await act('dispatcher', { action: 'dispatch', department: 2 });
  await act('handler_cgj', { action: 'sign' });
  await act('handler_cgj', { action: 'reply', result: '已安排维修', contacted: true, solved: true });
  await act('operator', { action: 'evaluate', satisfaction: 'satisfied' });
  assert.equal(c.state, 'closed');
  return c;
}

test('a citizen appeals a closure on the public lookup, a supervisor upholds it, the case is reopened', async () => {
  const c = await closedHotlineCase();
  const anonCtx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const anon = await anonCtx.newPage();
  anon.errors = [];
  anon.on('pageerror', (e) => anon.errors.push(e.message));
  await goto(anon, srv, `/lookup?number=${c.number}&code=${c.check_code}`);
  const result = anon.locator('.lookup-result');
  await result.locator('section.appeals').waitFor();
  await anon.getByRole('button', { name: '我要申诉' }).click();
  await anon.getByLabel('申诉事项').selectOption('closure');
  await anon.getByLabel('申诉理由').selectOption('not_solved');
  // Empty, the text is asked for by the form itself.
  await anon.getByRole('button', { name: '提交申诉' }).click();
  await anon.locator('.appeal-form .error:not([hidden])').waitFor();
  await anon.getByLabel('申诉说明').fill('路灯修好两天又不亮了');
  await shot(anon, 'appeal-1-lookup-form');
  assert.deepEqual(await axe(anon), []);
  await anon.getByRole('button', { name: '提交申诉' }).click();
  await result.locator('.appeal[data-status="open"]').waitFor();
  assert.match(await result.locator('.appeal').first().textContent(), /办结结果.*问题没有解决.*审核中/);
  assert.equal(await anon.getByRole('button', { name: '我要申诉' }).count(), 0, 'one open appeal at a time');

  const sup = await loginPage(browser, srv, 'supervisor');
  await goto(sup, srv, '/appeals');
  const card = sup.locator('li.appeal', { hasText: c.number });
  await card.waitFor();
  assert.match(await card.textContent(), /路灯修好两天又不亮了/);
  assert.match(await card.textContent(), /凭查询码提出/);
  await shot(sup, 'appeal-2-queue');
  assert.deepEqual(await axe(sup), []);
  await card.getByLabel('申诉成立，工单重新办理').check();
  await card.getByLabel('审核意见（市民可见）').fill('经现场核实路灯仍不亮，重新交城管局办理');
  await card.getByRole('button', { name: '提交结论' }).click();
  await sup.locator('li.appeal', { hasText: c.number }).waitFor({ state: 'detached' });
  const after = (await srv.api('supervisor', 'GET', `/cases/${c.id}`)).body;
  assert.equal(after.state, 'processing');
  assert.deepEqual(after.timeline.slice(-3).map((e) => e.action), ['appeal', 'appeal_upheld', 'reopen']);
  // The decided appeal is in the full list with who decided.
  await goto(sup, srv, '/appeals?status=all');
  const done = sup.locator('li.appeal[data-status="upheld"]', { hasText: c.number });
  await done.waitFor();
  assert.match(await done.textContent(), /申诉成立/);
  assert.deepEqual(sup.errors, []);

  // The citizen reads the outcome and the reason where they appealed (the same address again).
  await anon.reload();
  const upheld = result.locator('.appeal[data-status="upheld"]');
  await upheld.waitFor();
  assert.match(await upheld.textContent(), /申诉成立.*审核意见：.*经现场核实路灯仍不亮/s);
  assert.match(await result.locator('p').first().textContent(), /办理中/);
  await shot(anon, 'appeal-3-outcome');
  assert.deepEqual(anon.errors, []);
});

test('the public register shows each automatic decision with the model version and per-class accuracy', async () => {
  // Dispatchers classify as they dispatch: three take triage's category, one corrects it.
  const texts = ['小区门口垃圾堆了三天没人清运，臭味很大', '楼下饭店油烟直排，窗户都不敢开', '路边井盖松动，车开过去哐哐响', '夜里十二点还在施工，噪音太大睡不着'];
  for (let i = 0; i < texts.length; i++) {
    const c = (await srv.api('operator', 'POST', '/cases', { title: texts[i].slice(0, 8), description: texts[i], channel: 'hotline',
      citizen: { name: '赵六', phone: `1381234900${i}` } })).body;
    const full = (await srv.api('dispatcher', 'GET', `/cases/${c.id}`)).body;
    assert.ok(full.suggested && full.suggested.category_id, 'triage suggested a category');
    const category = i === 3 ? (full.suggested.category_id === 10 ? 11 : 10) : full.suggested.category_id;
    const r = await srv.api('dispatcher', 'POST', `/cases/${c.id}/actions`, { action: 'dispatch', version: full.version, department: 2, category });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const reg = (await (await fetch(srv.url + '/api/v1/public/decisions')).json());
  const model = (await srv.api('admin', 'GET', '/triage/model')).body;
  const anonCtx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await anonCtx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  // Reached from the login page without an account.
  await goto(page, srv, '/login');
  await page.getByRole('link', { name: /自动化决策公示/ }).click();
  await page.locator('section.decision').first().waitFor();
  assert.equal(await page.locator('h1').textContent(), '自动化决策公示');
  assert.deepEqual(await page.locator('section.decision').evaluateAll((s) => s.map((x) => x.dataset.decision)),
    ['classification', 'routing', 'urgency', 'duplicate', 'reply_check']);
  const cls = page.locator('section[data-decision="classification"]');
  assert.equal(await cls.locator('code.version').textContent(), model.version);
  const api = reg.decisions.find((d) => d.key === 'classification').accuracy;
  assert.ok(api.classes.length > 0, 'the demo has dispatchers\' classifications to measure against');
  // Every class shown is the API's figure, as a percentage.
  const rows = await cls.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [Number(tr.dataset.class),
    ...[...tr.children].map((c) => c.textContent)]));
  assert.equal(rows.length, Math.min(30, api.classes.length));
  for (const [id, name, n, right, rate] of rows) {
    const k = api.classes.find((x) => x.id === id);
    assert.deepEqual([name, Number(n), Number(right), rate], [k.name, k.n, k.right, `${(k.rate * 100).toFixed(1)}%`]);
  }
  assert.match(await cls.textContent(), /以调度员派单时确认或更正的分类为准/);
  await shot(page, 'appeal-4-register');
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(page.errors, []);
});
