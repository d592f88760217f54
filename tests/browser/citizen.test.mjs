// What a citizen and a person signing in meet (issue 13): a wrong password says so (not "登录已失效"),
// and a citizen takes back (撤回) a report nobody has started on, seeing it end in words.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

test('a wrong password is told as such, in Chinese', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN' });
  const page = await ctx.newPage();
  await page.goto(srv.url + '/#/login');
  await page.getByLabel('用户名').fill('operator');
  await page.getByLabel('密码').fill('not-the-password');
  await page.getByRole('button', { name: '登录', exact: true }).click();
  const alert = page.locator('main [role="alert"]:not([hidden])').first();
  await alert.waitFor();
  const text = await page.locator('main').textContent();
  assert.match(text, /用户名或密码错误/);
  assert.doesNotMatch(text, /登录已失效|password|invalid/i);
  await ctx.close();
});

test('a citizen withdraws a report nobody has started on', async () => {
  const made = await srv.api('citizen', 'POST', '/cases', { title: '楼道灯不亮', description: '三单元楼道灯坏了好几天', channel: 'app' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const page = await loginPage(browser, srv, 'citizen');
  await goto(page, srv, `/case/${made.body.id}`);
  await page.locator('button[data-action="withdraw"]').click();
  const form = page.locator('form').filter({ has: page.locator('button[type="submit"]') }).last();
  await form.locator('textarea, input[type="text"]').first().fill('已自行联系物业修好');
  await form.locator('button[type="submit"]').click();
  await page.locator('button[data-action="withdraw"]').waitFor({ state: 'detached' });
  const got = (await srv.api('citizen', 'GET', `/cases/${made.body.id}`)).body;
  assert.equal(got.state, 'cancelled');
  const main = await page.locator('main').textContent();
  assert.match(main, /撤回/);
  assert.doesNotMatch(main, /cancelled|withdraw|action\./);
  assert.deepEqual(await axe(page), []);
});
