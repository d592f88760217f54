// The service catalogue, 一件事 bundles and 秒批 (issue 18 item 3): a citizen in elder mode on a
// phone applies for the newborn's 出生一件事, filling the shared fields once; 医保参保 is approved
// at once (秒批) and says which data decided it; the 公安 department's handler accepts and
// completes its 户口登记 task, an admin completes the others, and the citizen sees the bundle
// done and is told. The officials' catalogue screen lists the bundle with its items.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe, readableProblems } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

const FORM = [['新生儿姓名', '王小宝'], ['出生日期', '2026-11-20'], ['新生儿性别', '男'], ['母亲姓名', '李芳'],
  ['父亲姓名', '王强'], ['出生医院', '澜溪区妇幼保健院'], ['落户地址', '青石街道青石社区 1 幢 101 室'], ['社保卡邮寄地址', '青石社区 1 幢 101 室']];

test('a citizen applies for 出生一件事 in elder mode; departments complete it; 秒批 says which data decided', async () => {
  // The citizen's saved profile: household registration in 青石街道 (what 医保参保 checks).
  const streets = (await srv.api('admin', 'GET', '/regions?level=street')).body.items;
  const qs = streets.find((r) => r.code === '330179001');
  let r = await srv.api('citizen', 'PUT', '/me/policy-profiles/person', { name: '王强', birth_date: '1992-03-01', hukou_region_id: qs.id });
  assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
  // The demo's street handler acts for 区公安分局 on this server (a new account could not take the
  // demo's short browser-test password).
  const depts = (await srv.api('admin', 'GET', '/departments')).body.items;
  const gaj = depts.find((d) => d.code === 'GAJ');
  const users = (await srv.api('admin', 'GET', '/users')).body.items;
  const qsjd = users.find((u) => u.name === 'handler_qsjd');
  r = await srv.api('admin', 'PATCH', `/users/${qsjd.id}`, { departments: [gaj.id] });
  assert.equal(r.status, 200, JSON.stringify(r.body));

  const cit = await loginPage(browser, srv, 'citizen', { viewport: { width: 390, height: 844 }, elder: true });
  await goto(cit, srv, '/services');
  assert.ok(await cit.evaluate(() => document.documentElement.classList.contains('elder')));
  await cit.getByRole('button', { name: '申请出生一件事' }).click();
  await cit.getByRole('heading', { name: '申请：出生一件事' }).waitFor();
  // Submitting with nothing filled names the first field, in Chinese.
  await cit.getByRole('button', { name: '提交申请' }).click();
  await cit.locator('.svc-apply .error', { hasText: '请填写新生儿姓名' }).waitFor();
  for (const [label, value] of FORM) await cit.getByLabel(label).fill(value);
  await shot(cit, 'services-1-apply-elder');
  assert.deepEqual(await axe(cit), []);
  assert.deepEqual(await readableProblems(cit), []);
  await cit.getByRole('button', { name: '提交申请' }).click();
  await cit.locator('.svc-result', { hasText: '已提交：出生一件事' }).waitFor();
  assert.match(await cit.locator('.svc-result').textContent(), /共 5 个事项，已办结 1 个/);
  const card = cit.locator('.svc-app', { hasText: '出生一件事' });
  await card.waitFor();
  assert.match(await card.textContent(), /办理中/);
  const insurance = card.locator('.svc-steps > li', { hasText: '城乡居民医保参保（新生儿）' });
  assert.match(await insurance.textContent(), /已办结/);
  assert.match(await insurance.textContent(), /秒批/);
  assert.match(await insurance.locator('.svc-basis').textContent(), /^核验通过：户籍在澜溪区（户籍：青石街道）$/);
  assert.match(await card.locator('.svc-steps > li', { hasText: '户口登记（出生登记）' }).textContent(), /待受理/);
  await shot(cit, 'services-2-applied-elder');
  assert.deepEqual(await axe(cit), []);
  assert.deepEqual(await readableProblems(cit), []);

  // 区公安分局 sees its own task only, with the shared form, and completes it.
  const gajPage = await loginPage(browser, srv, 'handler_qsjd');
  await goto(gajPage, srv, '/service-tasks');
  const tasks = gajPage.locator('.svc-task-list > li.card');
  await tasks.first().waitFor();
  assert.equal(await tasks.count(), 1);
  const mine = tasks.first();
  assert.match(await mine.locator('h2').textContent(), /户口登记（出生登记）/);
  assert.match(await mine.locator('dl.svc-form').textContent(), /落户地址青石街道青石社区 1 幢 101 室/);
  assert.doesNotMatch(await mine.locator('dl.svc-form').textContent(), /社保卡邮寄地址/); // another department's field
  await shot(gajPage, 'services-3-department-task');
  assert.deepEqual(await axe(gajPage), []);
  assert.deepEqual(await readableProblems(gajPage), []);
  await mine.getByRole('button', { name: '受理' }).click();
  await mine.locator('h2 .badge', { hasText: '办理中' }).waitFor();
  await gajPage.locator('.svc-task-list > li.card').first().getByRole('button', { name: '办结' }).click();
  await gajPage.locator('.svc-task-list', { hasText: '暂无办件' }).waitFor();

  // An admin completes the other three departments' tasks; a refusal would need its reason.
  const adm = await loginPage(browser, srv, 'admin');
  await goto(adm, srv, '/service-tasks');
  const open = adm.locator('.svc-task-list > li.card');
  await open.first().waitFor();
  assert.equal(await open.count(), 3);
  await open.first().getByRole('button', { name: '不予办理' }).click();
  await open.first().locator('.error', { hasText: '请填写办理说明' }).waitFor();
  for (let left = 3; left > 0; left--) {
    await adm.locator('.svc-task-list > li.card').first().getByRole('button', { name: '办结' }).click();
    if (left > 1) await adm.waitForFunction((n) => document.querySelectorAll('.svc-task-list > li.card').length === n, left - 1);
  }
  await adm.locator('.svc-task-list', { hasText: '暂无办件' }).waitFor();

  // The citizen's bundle is done, and they were told.
  await goto(cit, srv, '/messages');
  await cit.locator('main', { hasText: '您申请的「出生一件事」已全部办结' }).waitFor();
  await goto(cit, srv, '/services');
  const done = cit.locator('.svc-app', { hasText: '出生一件事' });
  await done.locator('h3 .badge', { hasText: '已办结' }).waitFor();
  assert.match(await done.textContent(), /已办结 5\/5 项/);
  await shot(cit, 'services-5-done-elder');

  // The officials' catalogue lists the bundle with its five items.
  const sup = await loginPage(browser, srv, 'supervisor');
  await goto(sup, srv, '/service-catalogue');
  const row = sup.locator('tr', { hasText: '出生一件事' });
  await row.waitFor();
  assert.match(await row.textContent(), /出生医学证明；户口登记（出生登记）；城乡居民医保参保（新生儿）；社会保障卡申领；预防接种证办理/);
  assert.match(await sup.locator('tr', { hasText: '高龄津贴申领' }).textContent(), /秒批：同时满足（年满 80 周岁；户籍在澜溪区）/);
  await shot(sup, 'services-4-catalogue');
  assert.deepEqual(await axe(sup), []);
  assert.deepEqual(await readableProblems(sup), []);
  for (const p of [cit, gajPage, adm, sup]) assert.deepEqual(p.errors, []);
});
