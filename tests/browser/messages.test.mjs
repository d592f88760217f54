// The message centre (issue 13): a handler sees the unread count on the navigation, finds the
// new assignment under 新派单, a 催办 arrives while the centre is open (the event stream), and
// opening a message marks it read and goes to the case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(['--notify-interval', '1']); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

async function deptId(code) {
  return (await srv.api('admin', 'GET', '/departments')).body.items.find((d) => d.code === code).id;
}

test('a handler reads a new assignment and a live 催办 in the message centre', async () => {
  const cgj = await deptId('CGJ');
  const made = await srv.api('operator', 'POST', '/cases', { title: '消息中心测试', description: '小区门口垃圾堆了三天没人清理', channel: 'hotline' });
  assert.equal(made.status, 201);
  let c = (await srv.api('dispatcher', 'POST', `/cases/${made.body.id}/actions`,
    { action: 'dispatch', version: made.body.version, department: cgj })).body;
  const start = (await srv.api('handler_cgj', 'GET', '/me/messages/counts')).body;
  assert.ok(start.groups.assign >= 1, 'the assignment is unread');

  const p = await loginPage(browser, srv, 'handler_cgj');
  await goto(p, srv, '/workbench');
  const badge = p.locator('#nav .badge');
  await badge.waitFor();
  assert.equal(await badge.textContent(), String(start.total));

  await p.locator('#nav a', { hasText: '消息' }).click();
  await p.locator('h1', { hasText: '消息中心' }).waitFor();
  await p.locator('.tabs a[data-group="assign"]').click();
  const mine = p.locator('.messages .msg.unread', { hasText: made.body.number });
  await mine.waitFor();
  assert.match(await mine.textContent(), /新派单.*新派工单/);
  assert.match(await p.locator('.tabs a[data-group="assign"] .count').textContent(), /（\d+）/);

  // A 催办 arrives while the centre is open: the stream brings it in without a reload.
  await p.locator('.tabs a[data-group="all"]').click();
  await p.locator('.messages .msg').first().waitFor();
  c = (await srv.api('supervisor', 'POST', `/cases/${c.id}/actions`, { action: 'urge', version: c.version, note: '请今天处理' })).body;
  const urge = p.locator('.messages .msg.unread', { hasText: '督办催办' });
  await urge.first().waitFor({ timeout: 15000 });
  const all = (await srv.api('handler_cgj', 'GET', '/me/messages')).body.total;
  await p.locator('.message-centre .list-status', { hasText: `共 ${all} 条，已显示` }).waitFor();
  await shot(p, 'messages-1-centre');
  assert.deepEqual(await axe(p), []);

  // Opening it marks it read and goes to the case; the badge follows.
  const before = Number(await badge.textContent());
  await urge.first().locator('button').click();
  await p.waitForURL(new RegExp(`#/case/${c.id}$`));
  await p.waitForFunction((n) => {
    const b = document.querySelector('#nav .badge');
    return b && (b.hidden || Number(b.textContent) === n - 1);
  }, before);
  const after = (await srv.api('handler_cgj', 'GET', '/me/messages/counts')).body;
  assert.equal(after.total, before - 1);
});
