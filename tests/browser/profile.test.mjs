// 我的资料与数据 (web/app/views/profile.js) for a citizen in elder mode: a wrong ID number is told
// under its control in Chinese and nothing is saved; a right one is saved and shown masked with
// a household member; 我的数据 lists the case the citizen reported; the screen passes axe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, goto, axe, readableProblems } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

test('citizen profile: bad ID refused under its control, saved masked, my data listed, elder mode', async () => {
  const page = await loginPage(browser, srv, 'citizen', { elder: true });
  await goto(page, srv, '/me');
  assert.equal(await page.locator('main h1').textContent(), '我的资料与数据');
  assert.ok(await page.evaluate(() => document.documentElement.classList.contains('elder')));
  await page.getByLabel('姓名', { exact: true }).fill('王秀英');
  await page.getByLabel('身份证号').fill('110105194912310021');
  await page.getByRole('button', { name: '保存' }).click();
  const err = page.locator('[data-fields="id_number"] .error:not([hidden])');
  await err.waitFor();
  assert.match(await err.textContent(), /身份证号/);

  await page.getByLabel('身份证号').fill('11010519491231002X');
  await page.getByRole('button', { name: '添加家庭成员' }).click();
  await page.getByLabel('成员姓名').fill('王五');
  await page.getByLabel('与本人关系').fill('配偶');
  await page.getByLabel('同意根据我的资料主动推送可享受的政策（免申即享）').check();
  await page.getByRole('button', { name: '保存' }).click();
  await page.getByText('已保存。').waitFor();

  // A case the citizen reports shows in 我的数据.
  const number = await page.evaluate(async () => {
    const { api } = await import('/app/api.js');
    return (await api.post('/cases', { title: '路灯不亮', description: '小区门口路灯坏了', channel: 'app' })).number;
  });
  await page.reload();
  await page.locator('main h1').waitFor();
  assert.equal(await page.getByLabel('身份证号').getAttribute('placeholder'), '110*************2X');
  assert.equal(await page.getByLabel('成员姓名').inputValue(), '王五');
  assert.ok(await page.getByLabel('同意根据我的资料主动推送可享受的政策（免申即享）').isChecked());
  assert.equal(await page.locator('main ul li a[href^="#/case/"]').first().textContent(), number);
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(await readableProblems(page), []);
  assert.deepEqual(page.errors, []);
});
