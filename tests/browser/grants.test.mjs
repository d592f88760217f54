// 数据共享申请与授权 (issue 17, docs/data-sharing.md): 区城管局's handler requests three fields of
// 辖区常住人口信息, 区民政局's data officer approves in 申请审批, the handler reads the masked rows
// (no clear name or ID number), runs a count with small cells shown as "<k", exports the rows as
// CSV, and `gridloop grant trace` names the grant from the downloaded file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launch, loginPage, shot, goto, axe, readableProblems, BIN } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

test('request → approve → masked query → export → trace', async () => {
  const asker = await loginPage(browser, srv, 'handler_cgj');
  await asker.getByRole('navigation').getByRole('link', { name: '数据共享' }).click();
  await asker.locator('main h1', { hasText: '数据共享申请与授权' }).waitFor();
  await asker.getByRole('link', { name: '我的申请' }).click();
  await asker.getByRole('link', { name: '申请共享数据' }).click();
  const form = asker.locator('form[data-form="data-request"]');
  await form.waitFor();
  const ds = (await srv.api('admin', 'GET', '/datasets')).body.items.find((d) => d.name === '辖区常住人口信息');
  await form.locator('select[name=dataset_id]').selectOption(String(ds.id));
  // Nothing ticked: the server names the field.
  await form.getByLabel('用途').fill('核对占道经营摊贩中的低保对象');
  await form.getByLabel('依据').fill('《浙江省公共数据条例》第二十二条');
  await form.getByRole('button', { name: '提交申请' }).click();
  await form.locator('[data-fields="fields"] .error:not([hidden])').waitFor();
  for (const f of ['name', 'id_no', 'gender', 'community']) await form.locator(`input[name=fields][value=${f}]`).check();
  assert.deepEqual(await axe(asker), []);
  assert.deepEqual(await readableProblems(asker), []);
  await shot(asker, 'grant-request');
  await form.getByRole('button', { name: '提交申请' }).click();
  await asker.locator('tr[data-request]', { hasText: '辖区常住人口信息' }).getByText('待审核').waitFor();

  const owner = await loginPage(browser, srv, 'data_officer');
  await goto(owner, srv, '/grants/inbox');
  const dec = owner.locator('form[data-form="grant-decision"]').first();
  await dec.waitFor();
  assert.deepEqual(await axe(owner), []);
  assert.deepEqual(await readableProblems(owner), []);
  await shot(owner, 'grant-inbox');
  // The row scope: the whole dataset by default, or one street or community named in words.
  const scope = dec.getByLabel('区域');
  assert.equal(await scope.inputValue(), '');
  const scopes = await scope.locator('option').allTextContents();
  assert.ok(scopes.length > 2 && scopes[0] === '全部区域' && scopes.slice(1).every((x) => /^(街道|社区)：\S+/.test(x)), scopes.join(','));
  await dec.getByRole('button', { name: '提交审批意见' }).click();
  await owner.locator('tr[data-request]').getByText('已同意').first().waitFor();

  await goto(asker, srv, '/grants/grants');
  await asker.locator('tr[data-grant]', { hasText: '辖区常住人口信息' }).getByRole('link').click();
  const rows = asker.locator('table[data-table="grant-rows"] tbody tr');
  await rows.first().waitFor();
  const cells = await asker.locator('table[data-table="grant-rows"] tbody td').allTextContents();
  assert.ok(cells.length >= 4 * 50);
  assert.ok(!cells.some((c) => /^\d{17}[\dX]$/.test(c)), 'no clear ID number');
  assert.ok(cells.some((c) => /^\d{6}\*{8}\d{3}[\dX]$/.test(c)), 'ID numbers masked');
  const heads = await asker.locator('table[data-table="grant-rows"] thead th').allTextContents();
  assert.deepEqual(heads, ['姓名', '公民身份号码', '性别', '所属社区']);
  assert.ok(!(await asker.locator('table[data-table="grant-rows"] tbody tr').nth(0).locator('td').nth(0).textContent()).match(/^[\u4e00-\u9fff]{2,}$/), 'name masked');

  // A count by 性别 and 所属社区: the small cells show as "<5".
  const agg = asker.locator('form[data-form="grant-aggregate"]');
  await agg.locator('input[name=group_by][value=gender]').check();
  await agg.locator('input[name=group_by][value=community]').check();
  await agg.getByRole('button', { name: '查询' }).click();
  await agg.locator('tr[data-cell]').first().waitFor();
  await agg.getByText(/^合计：\d+/).waitFor();
  assert.deepEqual(await axe(asker), []);
  assert.deepEqual(await readableProblems(asker), []);
  await shot(asker, 'grant-query');

  const [download] = await Promise.all([asker.waitForEvent('download'), asker.locator('a[data-export=csv]').click()]);
  const dir = mkdtempSync(join(tmpdir(), 'gl-grant-'));
  const file = join(dir, 'leak.csv');
  await download.saveAs(file);
  assert.ok(readFileSync(file, 'utf8').includes('\u200b') || readFileSync(file, 'utf8').includes('\u200c'));
  const grants = (await srv.api('handler_cgj', 'GET', '/data-grants')).body.items;
  const out = execFileSync(BIN, ['grant', 'trace', '--db', srv.db, file], { encoding: 'utf8' });
  assert.match(out, new RegExp(`grant ${grants[0].id} \\(区城市管理局, 辖区常住人口信息\\): score 100\\.0%`));
  // The grant's page lists its uses: the masked rows, the count and the export.
  await asker.reload();
  const uses = asker.locator('[data-table="grant-uses"] tbody');
  await uses.getByText('导出').waitFor();
  const useActions = await uses.locator('tr td:nth-child(3)').allTextContents();
  for (const a of ['查看明细', '统计查询', '导出']) assert.ok(useActions.includes(a), a);
  assert.deepEqual(await axe(asker), []);
  assert.deepEqual(await readableProblems(asker), []);
  const audit = (await srv.api('admin', 'GET', '/audit?limit=50')).body.items.map((e) => e.action);
  for (const a of ['data_request.create', 'data_request.decide', 'data_grant.rows', 'data_grant.aggregate', 'data_grant.export']) {
    assert.ok(audit.includes(a), a);
  }
});
