// 短信验证码登录 (web/app/views/signin.js) in elder mode: asking for a code says it was sent and
// counts down to the next one, a bad number and a wrong code are told under their controls in
// Chinese, the screen passes axe. The right code's path (through a real Kannel) is the API
// tests' (tests/api/test_sms.py).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, axe, readableProblems } from './helper.mjs';

let srv;
let browser;
before(async () => {
  srv = await startServer(['--sms-channel', 'log']);
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.stop(); });

test('sign-in by SMS code: ask, count down, wrong code and number told in Chinese, elder mode', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 400, height: 800 } });
  await ctx.addInitScript(() => localStorage.setItem('gl.elder', '1'));
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(srv.url + '/#/login');
  await page.getByRole('link', { name: '市民用手机短信验证码登录或注册' }).click();
  await page.locator('main h1', { hasText: '短信验证码登录' }).waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.classList.contains('elder')));

  await page.getByLabel('手机号').fill('1380013');
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.locator('.error:not([hidden])').first().waitFor();
  assert.equal(await page.locator('.error:not([hidden])').first().textContent(), '请输入 11 位手机号（13 至 19 开头）。');

  await page.getByLabel('手机号').fill('138 0013 8000');
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.getByText('验证码已发送，5 分钟内有效。').waitFor();
  const again = page.locator('form button[type=button]');
  assert.ok(await again.isDisabled());
  assert.match(await again.textContent(), /^\d+ 秒后可重新获取$/);

  await page.getByLabel('验证码').fill('000000');
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.getByText('验证码错误或已过期。').waitFor();
  assert.equal(await page.locator('#logout:not([hidden])').count(), 0);

  assert.deepEqual(await axe(page), []);
  assert.deepEqual(await readableProblems(page), []);
  assert.deepEqual(errors, []);
  await ctx.close();
});
