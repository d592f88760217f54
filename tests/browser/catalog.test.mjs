// 政务数据资源目录 (issue 17, docs/data-sharing.md): the data officer finds the population dataset
// by a field's name, opens its page (fields, grading, sharing class), imports a file with a bad row
// (refused, the errors by line and field in Chinese, nothing loaded), then a good one, runs the
// quality check (below 95%: sent back as a case, the run and its problems shown) and reads the
// three lists and the department's quality report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe, readableProblems } from './helper.mjs';
import { zhCN } from '../../web/app/strings.js';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

function idCard(p17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const s = [...p17].reduce((a, c, i) => a + Number(c) * w[i], 0);
  return p17 + '10X98765432'[s % 11];
}

test('the words built at run time are all in the table', () => {
  const kinds = {
    share: ['unconditional', 'conditional', 'none'], grade: ['general', 'important', 'core'], pi: ['none', 'personal', 'sensitive'],
    open: ['open', 'conditional', 'closed'], freq: ['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'irregular'],
    source: ['import', 'cases'], type: ['text', 'name', 'address', 'region', 'date', 'integer', 'number', 'id_card', 'credit_code', 'mobile', 'phone', 'email'],
    mask: ['none', 'name', 'id_card', 'mobile', 'phone', 'address', 'email', 'credit_code', 'full', 'year'], mode: ['rows', 'aggregate'],
    status: ['pending', 'approved', 'narrowed', 'refused', 'withdrawn'], rule: ['missing', 'invalid', 'duplicate'],
  };
  const keys = Object.entries(kinds).flatMap(([k, vs]) => vs.map((v) => `cat.${k}.${v}`));
  assert.deepEqual(keys.filter((k) => !(k in zhCN)), []);
});

test('search, a dataset page, an import refused then loaded, a quality run sent back', async () => {
  const page = await loginPage(browser, srv, 'data_officer');
  await page.getByRole('navigation').getByRole('link', { name: '数据目录' }).click();
  await page.locator('main h1', { hasText: '政务数据资源目录' }).waitFor();
  await page.getByLabel('查找', { exact: true }).fill('公民身份号码');
  await page.locator('form[data-form="catalog-search"] button[type="submit"]').click();
  await page.getByText('共 2 个数据资源').waitFor();
  const row = page.locator('tr', { hasText: '辖区常住人口信息' });
  await row.getByText('有条件共享').waitFor();
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(await readableProblems(page), []);
  await shot(page, 'catalog-search');

  await row.getByRole('link', { name: '辖区常住人口信息' }).click();
  await page.locator('main h1', { hasText: '辖区常住人口信息' }).waitFor();
  await page.locator('tr[data-field="id_no"]').getByText('公民身份号码').first().waitFor();
  await page.getByText('含敏感个人信息').waitFor();
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(await readableProblems(page), []);

  // A GB18030 file would do as well; this one is UTF-8 with a wrong check digit on line 3.
  const good = idCard('33010619900307123');
  const bad = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
  const comm = '青石社区';
  const header = '姓名,公民身份号码,性别,出生日期,手机号码,居住地址,所属社区,家庭人口数';
  const code = (await srv.api('admin', 'GET', '/regions')).body.items.find((r) => r.level === 'community').code;
  const line = (id) => `张三,${id},男,1990-03-07,13800138000,${comm}1幢,${code},3`;
  const form = page.locator('form[data-form="dataset-import"]');
  await form.locator('input[type=file]').setInputFiles({ name: '人口.csv', mimeType: 'text/csv', buffer: Buffer.from([header, line(good), line(bad)].join('\n')) });
  await form.getByRole('button', { name: '导入', exact: true }).click();
  await form.getByText('文件未导入：发现 1 处错误').waitFor();
  await form.locator('tr[data-line="3"]').getByText('身份证号校验码错误').waitFor();
  await form.locator('tr[data-line="3"]').getByText('公民身份号码').waitFor();
  assert.deepEqual(await readableProblems(page), []);
  await shot(page, 'catalog-import-refused');
  const rows = (await srv.api('admin', 'GET', '/datasets')).body.items.find((d) => d.name === '辖区常住人口信息').row_count;
  assert.equal(rows, 324, 'nothing of the refused file was loaded');

  await page.locator('select[name=mode]').selectOption('append');
  await form.locator('input[type=file]').setInputFiles({ name: '人口.csv', mimeType: 'text/csv', buffer: Buffer.from([header, line(good)].join('\n')) });
  await form.getByRole('button', { name: '导入', exact: true }).click();
  await form.getByText('已导入 1 行，现有 325 行').waitFor();
  await page.locator('[data-fact=rows]', { hasText: '325' }).waitFor();

  // The check: the old register's rows fail it (below 95%), so a case goes back to 区民政局.
  await page.locator('button[data-action="quality-run"]').click();
  await page.locator('tr[data-run]').first().waitFor();
  const run = page.locator('tr[data-run]').first();
  await run.getByText('92.6%').waitFor();
  const caseLink = run.getByRole('link');
  assert.match(await caseLink.getAttribute('href'), /^#\/case\/\d+$/);
  await page.locator('.quality-trend li.fail').first().waitFor();
  await page.locator('tr[data-problem]').first().getByText('身份证号校验码错误').waitFor();
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(await readableProblems(page), []);
  await shot(page, 'catalog-quality');

  // The lists and the department's report.
  await goto(page, srv, '/catalog/negative');
  await page.getByRole('link', { name: '重点人员管控信息' }).waitFor();
  await goto(page, srv, '/catalog/responsibility');
  await page.locator('section', { hasText: '区民政局' }).getByText('每月').first().waitFor();
  assert.deepEqual(await axe(page), []);
  await goto(page, srv, '/data-quality');
  await page.locator('tr', { hasText: '辖区常住人口信息' }).locator('span.badge', { hasText: '92.6%' }).waitFor();
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(await readableProblems(page), []);
  await shot(page, 'catalog-department-quality');
  assert.deepEqual(page.errors, []);
});

test('a data officer catalogues a new dataset; a bad field name is shown under that field', async () => {
  const page = await loginPage(browser, srv, 'data_officer');
  await goto(page, srv, '/catalog');
  const form = page.locator('form[data-form="dataset-new"]');
  await form.getByLabel('资源名称').fill('低保救助对象名册');
  await form.getByRole('button', { name: '增加字段' }).click();
  const rows = form.locator('fieldset.field-row');
  await rows.nth(0).getByLabel('字段代码').fill('Bad Name');
  await rows.nth(0).getByLabel('字段名称').fill('姓名');
  await rows.nth(1).getByLabel('字段代码').fill('id_no');
  await rows.nth(1).getByLabel('字段名称').fill('公民身份号码');
  await rows.nth(1).getByLabel('类型').selectOption('id_card');
  await form.getByRole('button', { name: '编目' }).click();
  const err = form.locator('[data-fields="fields[0].name"] .error');
  await err.waitFor();
  assert.match(await err.textContent(), /名称/);
  assert.equal(await rows.nth(0).getByLabel('字段代码').getAttribute('aria-invalid'), 'true');
  assert.deepEqual(await readableProblems(page), []);
  await rows.nth(0).getByLabel('字段代码').fill('name');
  await form.getByRole('button', { name: '编目' }).click();
  await page.locator('main h1', { hasText: '低保救助对象名册' }).waitFor();
  await page.locator('tr[data-field="id_no"]').getByText('公民身份号码').first().waitFor();
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(page.errors, []);
});
