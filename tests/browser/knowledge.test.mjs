// The operator answers a consultation from the knowledge base (issue 13): as the caller's words
// are typed the matching article is offered; one click fills the 直接答复; the case closes with
// the article linked on its timeline and the article's use counted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

test('the operator answers a consultation from the knowledge base', async () => {
  const before = (await srv.api('operator', 'GET', '/knowledge')).body.items.find((a) => a.title === '燃气费缴纳方式');
  assert.ok(before, 'the demo knowledge base holds the gas bill article');
  const op = await loginPage(browser, srv, 'operator');
  await goto(op, srv, '/intake');
  await op.getByLabel('问题描述').fill('家里燃气欠费被停气了，交了钱以后多久能恢复供气');
  const hit = op.locator(`.kb-panel li[data-article="${before.id}"]`);
  await hit.waitFor();
  await shot(op, 'knowledge-1-suggested');
  await hit.getByRole('button', { name: '用“燃气费缴纳方式”答复' }).click();
  assert.equal(await op.getByLabel('诉求类型').inputValue(), 'consult');
  assert.equal(await op.getByLabel('答复内容').inputValue(), before.body);
  await op.getByRole('button', { name: /登记工单/ }).click();
  const done = op.locator('.intake-result .done');
  await done.waitFor();
  assert.match(await done.textContent(), /已按知识库“燃气费缴纳方式”直接答复并办结/);
  const id = Number(await done.getAttribute('data-created'));
  const c = (await srv.api('operator', 'GET', `/cases/${id}`)).body;
  assert.equal(c.state, 'closed');
  assert.equal(c.kind, 'consult');
  const ev = c.timeline.find((e) => e.action === 'answer');
  assert.deepEqual(ev.payload, { article: before.id });
  const after = (await srv.api('operator', 'GET', `/knowledge/${before.id}`)).body;
  assert.equal(after.uses, before.uses + 1);
  // The case page says which article the answer came from.
  await goto(op, srv, `/case/${id}`);
  await op.locator('.timeline .note', { hasText: '依据知识库：燃气费缴纳方式' }).waitFor();
  assert.deepEqual(await axe(op), []);
  assert.deepEqual(op.errors, []);
});
