// 有效回访 in the browser (issue 13, "an invalid callback leaves the 三率 as documented",
// docs/assessment.md): two callbacks this month for 城管局, one satisfied and solved, one
// unsatisfied and not solved (满意率 50%, 解决率 50%). The operator asks for the second to be left
// out (联系不上诉求人), a supervisor approves it from the approvals queue, and the assessment screen
// then counts the first alone (满意率 100%, 解决率 100%, one evaluation), here and in the
// breakdown by 诉求类型.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

async function act(c, who, body) {
  const r = await srv.api(who, 'POST', `/cases/${c.id}/actions`, { version: c.version, ...body });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function cgjRow(page, id) {
  await goto(page, srv, '/assessment');
  const row = page.locator(`tr[data-group="${id}"]`);
  await row.waitFor();
  return (await row.locator('td').allTextContents()).join(' | ');
}

test('an invalid callback, approved, leaves the 三率 as documented', async () => {
  const cgj = (await srv.api('dispatcher', 'GET', '/departments')).body.items.find((d) => d.code === 'CGJ');
  const cases = [];
  for (const [solved, sat] of [[true, 'satisfied'], [false, 'unsatisfied']]) {
    let c = (await srv.api('operator', 'POST', '/cases', { title: '占道经营', description: '小区门口有人摆摊占用人行道', channel: 'hotline',
      citizen: { name: '张三', phone: '13812348000' } })).body;
    c = await act(c, 'dispatcher', { action: 'dispatch', department: cgj.id });
    c = await act(c, 'handler_cgj', { action: 'sign' });
    c = await act(c, 'handler_cgj', { action: 'reply', result: '已现场处理', contacted: true, solved });
    cases.push(await act(c, 'operator', { action: 'evaluate', satisfaction: sat }));
  }
  const sup = await loginPage(browser, srv, 'supervisor');
  // 响应率 100%, 解决率 50%, 满意率 50% before.
  assert.match(await cgjRow(sup, cgj.id), /100\.0% \| 50\.0% \| 50\.0%/);

  // The operator asks for the unreachable callback to be left out.
  const op = await loginPage(browser, srv, 'operator');
  await goto(op, srv, `/case/${cases[1].id}`);
  await op.locator('.actions button[data-action="invalidate"]').click();
  const f = op.locator('form[data-form="invalidate"]');
  await f.getByLabel('联系不上诉求人').check();
  await f.locator('textarea, input[name="reason"]').first().fill('三次回访均无人接听');
  await shot(op, 'callback-1-invalidate');
  await f.locator('button[type=submit]').click();
  await f.waitFor({ state: 'detached' });
  assert.equal((await srv.api('operator', 'GET', `/cases/${cases[1].id}`)).body.pending.request, 'invalidate');
  // Nothing changes until a supervisor decides.
  assert.match(await cgjRow(sup, cgj.id), /100\.0% \| 50\.0% \| 50\.0%/);

  // The supervisor finds it among the approvals, reads what is asked, and approves.
  await goto(sup, srv, '/supervise?tab=pending');
  await sup.getByRole('link', { name: cases[1].number }).click();
  await sup.locator('.case-page h1').waitFor();
  await sup.locator('.actions button[data-action="approve"]').click();
  const a = sup.locator('form[data-form="approve"]');
  await a.locator('button[type=submit]').click();
  await a.waitFor({ state: 'detached' });

  // Now the first callback alone counts: 100% on all three.
  const after = await cgjRow(sup, cgj.id);
  assert.match(after, /100\.0% \| 100\.0% \| 100\.0%/);
  // 诉求类型 on the same screen: the complaints of the period and their valid callbacks.
  const kinds = sup.locator('.assess-kinds tr[data-kind="complaint"]');
  await kinds.waitFor();
  const k = (await kinds.locator('td').allTextContents()).join(' | ');
  // received 2, none answered on the call, 1 closed (50%), 1 valid callback, 满意率 100%.
  assert.equal(k, '2 | 0 | 1 | 50.0% | 1 | 100.0%');
  await shot(sup, 'callback-2-assessment');
  assert.deepEqual(await axe(sup), []);
  const c2 = (await srv.api('supervisor', 'GET', `/cases/${cases[1].id}`)).body;
  assert.equal(c2.state, 'rectifying', "the case's course is unchanged");
});
