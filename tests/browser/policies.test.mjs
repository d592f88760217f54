// The policy calculator and 免申即享 (issue 18 item 4): a supervisor writes a firm policy as a
// rule, tries it against a sample firm (试算 says what is missing), saves and publishes it; a
// citizen in elder mode enters their firm on the 政策计算器 and reads the same explanation
// (再满足：企业成立满 1 年), then, with an older firm, that it qualifies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe, readableProblems } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

const daysAgo = (n) => new Date(Date.now() + 8 * 3600e3 - n * 86400e3).toISOString().slice(0, 10);
const RULE = JSON.stringify({ all: [
  { field: 'years_registered', op: '>=', value: 1 },
  { field: 'employees', op: '>=', value: 10 },
] });

async function fillFirm(page, registered) {
  await page.getByLabel('企业', { exact: true }).check();
  await page.getByLabel('成立日期').fill(registered);
  await page.getByLabel('从业人数').fill('20');
  await page.getByLabel('企业规模').selectOption('micro');
}

test('a supervisor writes, tries and publishes a policy; a citizen sees what is missing', async () => {
  const sup = await loginPage(browser, srv, 'supervisor');
  await goto(sup, srv, '/policies');
  await sup.getByLabel('政策名称').fill('小微企业稳岗补贴');
  await sup.getByLabel('企业', { exact: true }).check();
  await sup.getByLabel('金额（元）').fill('50000');
  await sup.getByLabel('发放周期').selectOption('once');
  await sup.getByLabel('政策规则').fill(RULE);
  await fillFirm(sup, daysAgo(200));
  await sup.getByRole('button', { name: '试算' }).click();
  await sup.locator('.policy-trial .policy-missing', { hasText: '再满足：企业成立满 1 年' }).waitFor();
  assert.match(await sup.locator('.policy-trial').textContent(), /暂不符合/);
  await shot(sup, 'policies-1-trial');
  assert.deepEqual(await axe(sup), []);
  assert.deepEqual(await readableProblems(sup), []);
  await sup.getByRole('button', { name: '保存' }).click();
  const row = sup.locator('tr', { hasText: '小微企业稳岗补贴' });
  await row.waitFor();
  assert.match(await row.textContent(), /同时满足（企业成立满 1 年；从业人数不少于 10 人）/);
  await row.getByRole('button', { name: '发布小微企业稳岗补贴' }).click();
  await row.locator('td', { hasText: '已发布' }).waitFor();

  const cit = await loginPage(browser, srv, 'citizen', { viewport: { width: 390, height: 844 }, elder: true });
  await goto(cit, srv, '/policy-calculator');
  assert.ok(await cit.evaluate(() => document.documentElement.classList.contains('elder')));
  await fillFirm(cit, daysAgo(200));
  await cit.getByRole('button', { name: '计算' }).click();
  const card = cit.locator('.policy-list li', { hasText: '小微企业稳岗补贴' });
  await card.waitFor();
  assert.match(await card.textContent(), /暂不符合/);
  assert.match(await card.textContent(), /再满足：企业成立满 1 年/);
  assert.match(await card.textContent(), /一次性 50000 元/);
  await shot(cit, 'policies-2-calculator-elder');
  assert.deepEqual(await axe(cit), []);
  assert.deepEqual(await readableProblems(cit), []);
  await cit.getByLabel('成立日期').fill(daysAgo(800));
  await cit.getByRole('button', { name: '计算' }).click();
  await cit.locator('.policy-list li', { hasText: '小微企业稳岗补贴' }).locator('.badge', { hasText: /^符合$/ }).waitFor();
  assert.deepEqual(sup.errors, []);
  assert.deepEqual(cit.errors, []);
});
