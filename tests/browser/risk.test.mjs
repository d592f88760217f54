// 风险规则 (issue 16 item 3): the administrator edits the rule table, then re-fits the weights to the
// supervisors' decisions: the trial says how many decisions the present and the proposed weights
// agree with, changes nothing, and applying it changes the grade of the next case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
const TEXT = '邻居因为停车发生纠纷，对方威胁要报复';
before(async () => {
  srv = await startServer();
  browser = await launch();
  for (let i = 0; i < 3; i++) {
    const c = await srv.api('operator', 'POST', '/cases', { title: `停车纠纷${i}`, description: TEXT, channel: 'hotline' });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const r = await srv.api('supervisor', 'POST', `/cases/${c.body.id}/risk`, { level: 'low', note: '口角，已调解' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
});
after(async () => { await browser?.close(); await srv?.stop(); });

async function grade() {
  const c = await srv.api('operator', 'POST', '/cases', { title: '停车纠纷又起', description: TEXT, channel: 'hotline' });
  return (await srv.api('supervisor', 'GET', `/cases/${c.body.id}/risk`)).body.level;
}

test('an administrator edits a risk rule and applies the weights re-fitted to the decisions', async () => {
  const p = await loginPage(browser, srv, 'admin');
  await goto(p, srv, '/admin/risk');
  const rules = p.locator('.admin table');
  await rules.locator('tr', { hasText: '扬言报复' }).waitFor();
  // History rules read in words, not their keys.
  assert.match(await rules.textContent(), /重复诉求（按件计/);
  assert.doesNotMatch(await rules.textContent(), /\brepeat\b|\bspike\b/);

  // A new word rule through the form.
  await p.fill('input[name="pattern"]', '扬言自焚');
  await p.fill('input[name="weight"]', '45');
  await p.fill('input[name="label"]', '扬言自焚');
  await p.getByRole('button', { name: '保存' }).first().click();
  await rules.locator('tr', { hasText: '扬言自焚' }).waitFor();
  const added = (await srv.api('admin', 'GET', '/risk-rules')).body.items.find((r) => r.pattern === '扬言自焚');
  assert.equal(added.weight, 45);

  // The trial: three lowered decisions the present weights disagree with.
  await p.getByRole('button', { name: '试算' }).click();
  const out = p.locator('.risk-refit');
  await out.locator('p', { hasText: '依据 3 件复核结果：现行权重与其中 0 件一致，建议权重与 3 件一致' }).waitFor();
  await out.locator('td', { hasText: '矛盾纠纷' }).waitFor();
  await shot(p, 'risk-1-refit');
  assert.deepEqual(await axe(p), []);
  assert.equal(await grade(), 'medium', 'a trial changes nothing');

  await out.getByRole('button', { name: '采用建议权重' }).click();
  // Applied, the tab is drawn again from the rules as they now are.
  await out.locator('p', { hasText: '依据 3 件复核结果' }).waitFor({ state: 'detached' });
  const kept = (await srv.api('admin', 'GET', '/risk-rules')).body.items.find((r) => r.pattern === '纠纷');
  assert.ok(kept.weight < 10, `纠纷 weighs ${kept.weight}`);
  await rules.locator('tr', { hasText: '矛盾纠纷' }).locator('td', { hasText: String(kept.weight) }).first().waitFor();
  assert.equal(await grade(), 'low', 'the next case is graded with the applied weights');
});
