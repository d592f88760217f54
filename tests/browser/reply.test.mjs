// The reply-quality check on the case page (issue 13): a supervisor reviewing a reply sees that
// the same words went to other cases (套话), besides the checks of the reply itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

async function replied(result) {
  const cgj = (await srv.api('admin', 'GET', '/departments')).body.items.find((d) => d.code === 'CGJ').id;
  let c = (await srv.api('operator', 'POST', '/cases', { title: '占道经营', description: '菜市场门口小贩占道经营，堵住了人行道', channel: 'hotline' })).body;
  for (const [who, body] of [['dispatcher', { action: 'dispatch', department: cgj }], ['handler_cgj', { action: 'sign' }],
    ['handler_cgj', { action: 'reply', result, contacted: true, solved: true }]]) {
    const r = await srv.api(who, 'POST', `/cases/${c.id}/actions`, { version: c.version, ...body });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    c = r.body;
  }
  return c;
}

test('a reply sent word for word to other cases is shown as boilerplate', async () => {
  const tpl = (d) => `您反映的占道经营问题我们已转交属地中队核查处理，预计${d}个工作日内办结，请留意短信通知，咨询电话12345。`;
  await replied(tpl(3));
  await replied(tpl(5));
  const c = await replied(tpl(7));
  const sup = await loginPage(browser, srv, 'supervisor');
  await goto(sup, srv, `/case/${c.id}`);
  const box = sup.locator('.reply-check');
  await box.locator('li', { hasText: '套话' }).waitFor();
  assert.match(await box.textContent(), /可能没有回应诉求.*套话：近半年另有 2 件工单（1 个部门）/);
  await shot(sup, 'reply-1-boilerplate');
  assert.deepEqual(await axe(sup), []);
});
