// The assessment screen and its outputs (issue 13): a supervisor opens this month's 考核, drills
// down from a count to the cases behind it, and downloads the XLSX and the monthly 通报 PDF,
// which the test opens and reads back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

async function act(c, who, body) {
  const r = await srv.api(who, 'POST', `/cases/${c.id}/actions`, { version: c.version, ...body });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

test('a supervisor reads the month, drills down and downloads the XLSX and the 通报 PDF', async () => {
  const deps = (await srv.api('dispatcher', 'GET', '/departments')).body.items;
  const cgj = deps.find((d) => d.code === 'CGJ');
  for (const sat of ['satisfied', 'basically_satisfied']) {
    let c = (await srv.api('operator', 'POST', '/cases', { title: '考核用工单', description: '路面破损', channel: 'hotline' })).body;
    c = await act(c, 'dispatcher', { action: 'dispatch', department: cgj.id });
    c = await act(c, 'handler_cgj', { action: 'sign' });
    c = await act(c, 'handler_cgj', { action: 'reply', result: '已修复', contacted: true, solved: true });
    await act(c, 'operator', { action: 'evaluate', satisfaction: sat });
  }
  const page = await loginPage(browser, srv, 'supervisor');
  await goto(page, srv, '/assessment');
  const row = page.locator(`tr[data-group="${cgj.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /区城市管理局/);
  assert.match(await row.textContent(), /100\.0%/); // 响应率
  assert.deepEqual(await axe(page), []);
  await shot(page, 'reports-1-assessment');

  const dir = mkdtempSync(join(tmpdir(), 'gl-reports-'));
  // XLSX: a real workbook with the department and its score as a number cell.
  const [x] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '下载 Excel' }).click()]);
  const xlsx = join(dir, 'a.xlsx');
  await x.saveAs(xlsx);
  const sheet = execFileSync('python3', ['-c', `import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None;
print(z.read('xl/sharedStrings.xml').decode() + z.read('xl/worksheets/sheet1.xml').decode())`, xlsx]).toString();
  assert.match(sheet, /区城市管理局/);
  assert.match(sheet, /满意率/);
  // The 通报 PDF: its text read back with pdftotext; the CJK font embedded.
  const [p] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '下载月度通报（PDF）' }).click()]);
  const pdf = join(dir, 'b.pdf');
  await p.saveAs(pdf);
  const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
  assert.match(text, /12345 热线诉求办理情况通报/);
  assert.match(text, /区城市管理局/);
  assert.match(execFileSync('pdffonts', [pdf]).toString(), /NotoSansCJK/);

  // Drill-down: the count of dispatched cases opens those cases.
  await row.getByRole('link', { name: /区城市管理局的派单工单/ }).click();
  await page.locator('.list-status').waitFor();
  await page.waitForFunction(() => /共 \d+ 件/.test(document.querySelector('.list-status').textContent));
  assert.match(await page.locator('.list-status').textContent(), /共 2 件/);
  assert.deepEqual(page.errors, []);
});

test('the assessment by quarter, by year and over any days: the figures, the KPIs and the downloads follow the period', async () => {
  const cgj = (await srv.api('dispatcher', 'GET', '/departments')).body.items.find((d) => d.code === 'CGJ');
  const now = new Date();
  const y = now.getFullYear();
  const q = Math.floor(now.getMonth() / 3) + 1;
  const pad = (n) => String(n).padStart(2, '0');
  const qFrom = `${y}-${pad(3 * q - 2)}-01`;
  const qLast = new Date(Date.UTC(y, 3 * q, 0)).toISOString().slice(0, 10);
  const page = await loginPage(browser, srv, 'supervisor');
  await goto(page, srv, '/assessment');
  const summary = page.locator('.assess-summary');
  await summary.waitFor();

  // This quarter: the summary names its first and last day, the row carries the further KPIs
  // (the first test's two cases were signed at once: 及时签收率 100 %), the PDF is the quarter's.
  await page.getByLabel('期间', { exact: true }).selectOption('quarter');
  assert.equal(await page.getByLabel('月份').isVisible(), false);
  await page.getByLabel('季度', { exact: true }).selectOption(String(q));
  await page.getByRole('button', { name: '查看' }).click();
  await page.waitForFunction((s) => document.querySelector('.assess-summary')?.textContent.includes(s), `${qFrom} 至 ${qLast}`);
  const head = await page.locator('table.assess thead').textContent();
  for (const col of ['及时签收率', '整改率', '返工率', '延期率', '重复诉求', '期末积压']) assert.ok(head.includes(col), col);
  const row = page.locator(`tr[data-group="${cgj.id}"]`);
  assert.match(await row.textContent(), /100\.0%/);
  const qPdf = page.getByRole('link', { name: '下载季度通报（PDF）' });
  const qHref = new URL(await qPdf.getAttribute('href'), srv.base || 'http://x');
  assert.equal(qHref.searchParams.get('from'), `${qFrom}T00:00:00+08:00`);
  const dir = mkdtempSync(join(tmpdir(), 'gl-reports-q-'));
  const [d] = await Promise.all([page.waitForEvent('download'), qPdf.click()]);
  await d.saveAs(join(dir, 'q.pdf'));
  const text = execFileSync('pdftotext', ['-layout', join(dir, 'q.pdf'), '-']).toString();
  assert.match(text, new RegExp(`${y}年${pad(3 * q - 2)}月01日 至 ${qLast.slice(0, 4)}年${qLast.slice(5, 7)}月${qLast.slice(8)}日`));
  assert.match(text, /办理质量/);
  await shot(page, 'reports-2-quarter');

  // The year: the CSV is the year's (its file name says so; its rows hold CGJ's two cases).
  await page.getByLabel('期间', { exact: true }).selectOption('year');
  assert.equal(await page.getByLabel('季度', { exact: true }).isVisible(), false);
  await page.getByLabel('年份').fill(String(y));
  await page.getByRole('button', { name: '查看' }).click();
  await page.waitForFunction((s) => document.querySelector('.assess-summary')?.textContent.includes(s), `${y}-01-01 至 ${y}-12-31`);
  await page.getByRole('link', { name: '下载年度通报（PDF）' }).waitFor();
  const [c] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '下载 CSV' }).click()]);
  assert.equal(c.suggestedFilename(), `assessment-department-${y - 1}-12-31-${y}-12-31.csv`);
  await c.saveAs(join(dir, 'y.csv'));
  const csv = execFileSync('cat', [join(dir, 'y.csv')]).toString().split('\r\n');
  const keys = csv[0].replace(/^\uFEFF/, '').split(',');
  const cg = csv.find((l) => l.split(',')[keys.indexOf('code')] === 'CGJ').split(',');
  assert.ok(Number(cg[keys.indexOf('dispatched')]) >= 2);
  assert.equal(cg[keys.indexOf('sign_rate')], '1.0000');

  // Any days: a range that holds none of the cases lists nobody.
  await page.getByLabel('期间', { exact: true }).selectOption('custom');
  await page.getByLabel('开始日期').fill(`${y - 3}-03-01`);
  await page.getByLabel('结束日期（含当日）').fill(`${y - 3}-03-31`);
  await page.getByRole('button', { name: '查看' }).click();
  await page.waitForFunction((s) => document.querySelector('.assess-summary')?.textContent.includes(s), `${y - 3}-03-01 至 ${y - 3}-03-31`);
  assert.equal(await page.locator(`tr[data-group="${cgj.id}"]`).count(), 0);
  await page.getByRole('link', { name: '下载通报（PDF）' }).waitFor();
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(page.errors, []);
});

test('triage accuracy per category and week on the assessment screen, worst first', async () => {
  const cats = (await srv.api('admin', 'GET', '/categories')).body.items;
  const manhole = cats.find((k) => k.code === '020201');
  const cgj = (await srv.api('dispatcher', 'GET', '/departments')).body.items.find((d) => d.code === 'CGJ');
  const create = async (text) => (await srv.api('operator', 'POST', '/cases', { title: text.slice(0, 12), description: text, channel: 'hotline' })).body;
  // Kept: a noise report dispatched with triage's own category.
  const a = await create('工地每天晚上十一点以后还在施工打桩，噪声太大根本睡不着，已经持续一周');
  const kept = a.suggested.category_id;
  assert.ok(kept && kept !== manhole.id, JSON.stringify(a.suggested));
  await act(a, 'dispatcher', { action: 'dispatch', department: cgj.id, category: kept });
  // Corrected: a gas report classified by the dispatcher as a missing manhole cover.
  const b = await create('楼道里有很浓的煤气味，怀疑燃气泄漏，请马上派人来');
  assert.notEqual(b.suggested.category_id, manhole.id);
  await act(b, 'dispatcher', { action: 'dispatch', department: cgj.id, category: manhole.id });

  const page = await loginPage(browser, srv, 'supervisor');
  await goto(page, srv, '/assessment');
  const section = page.locator('section.triage-accuracy');
  await section.locator('table').waitFor();
  assert.match(await section.locator('h2').textContent(), /智能分类准确率/);
  const monday = new Date();
  const bjNow = new Date(monday.getTime() + 8 * 3600e3);
  const back = (bjNow.getUTCDay() + 6) % 7;
  const day = new Date(bjNow.getTime() - back * 86400e3).toISOString().slice(0, 10);
  assert.match(await section.locator('thead').textContent(), new RegExp(`${day} 起`));
  const rows = section.locator('tbody tr');
  // Worst first: the corrected category leads with 0 of 1 kept.
  assert.equal(await rows.first().getAttribute('data-category'), String(manhole.id));
  assert.match(await rows.first().textContent(), new RegExp(`${manhole.name}.*0\\.0%（0/1）`));
  assert.match(await section.locator(`tr[data-category="${kept}"]`).textContent(), /100\.0%（1\/1）/);
  assert.deepEqual(await axe(page), []);
  await shot(page, 'reports-3-triage-accuracy');
  assert.deepEqual(page.errors, []);
});

test('the 交办单 of a case: a print-only A4 layout from the case page, the contact masked', async () => {
  const cgj = (await srv.api('dispatcher', 'GET', '/departments')).body.items.find((d) => d.code === 'CGJ');
  let c = (await srv.api('operator', 'POST', '/cases', {
    title: '人行道井盖缺失', description: '星光路口人行道上的井盖不见了，晚上很危险', channel: 'hotline',
    address: '星光路 12 号', citizen: { name: '王小明', phone: '13812348000' } })).body;
  const code = c.check_code;
  assert.ok(code);
  c = await act(c, 'dispatcher', { action: 'dispatch', department: cgj.id, note: '请今日内到现场设置围挡并补装井盖' });
  // The dispatcher's slip has no check code (the server gives it to the hotline only).
  const disp = await loginPage(browser, srv, 'dispatcher');
  await goto(disp, srv, `/case/${c.id}/slip`);
  await disp.locator('article.slip tr[data-k="instruction"]').waitFor();
  assert.equal(await disp.locator('tr[data-k="check_code"]').count(), 0);
  await disp.close();
  // The hotline operator prints it from the case page.
  const page = await loginPage(browser, srv, 'operator');
  await goto(page, srv, `/case/${c.id}`);
  await page.getByRole('link', { name: '打印交办单' }).click();
  const slip = page.locator('article.slip');
  await slip.waitFor();
  assert.match(await slip.locator('h1').textContent(), /交办单/);
  const cell = async (k) => (await slip.locator(`tr[data-k="${k}"] td`).textContent()).trim();
  assert.match(await slip.textContent(), new RegExp(`工单编号：${c.number}`));
  assert.equal(await cell('check_code'), code);
  assert.equal(await cell('department'), cgj.name);
  assert.equal(await cell('instruction'), '请今日内到现场设置围挡并补装井盖');
  assert.match(await cell('request'), /人行道井盖缺失.*星光路口人行道上的井盖不见了/);
  assert.match(await cell('deadline'), /\d{4}/);
  assert.equal(await cell('contact'), '王** 138****8000');
  assert.doesNotMatch(await slip.textContent(), /王小明|13812348000/);
  for (const k of ['交办人（签字）', '签收人（签字）', '承办单位（盖章）']) assert.match(await slip.locator('.slip-signs').textContent(), new RegExp(k.replace(/[（）]/g, '.')));
  assert.deepEqual(await axe(page), []);
  await shot(page, 'reports-4-slip');

  // Printed: the slip alone (no navigation, no buttons), on one A4 page.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('header.top').isVisible(), false);
  assert.equal(await page.getByRole('button', { name: '打印' }).isVisible(), false);
  assert.equal(await slip.isVisible(), true);
  const dir = mkdtempSync(join(tmpdir(), 'gl-slip-'));
  await page.pdf({ path: join(dir, 'slip.pdf'), format: 'A4', printBackground: true });
  assert.match(execFileSync('pdfinfo', [join(dir, 'slip.pdf')]).toString(), /Pages:\s+1\n/);
  const text = execFileSync('pdftotext', ['-layout', join(dir, 'slip.pdf'), '-']).toString();
  assert.match(text, /交办单/);
  assert.match(text, new RegExp(c.number));
  assert.doesNotMatch(text, /打印交办单|返回工单|退出/);
  await page.emulateMedia({ media: 'screen' });
  assert.deepEqual(page.errors, []);
});

test('the assessment by region at a chosen level, and a what-if ranking with other weights', async () => {
  const cgj = (await srv.api('dispatcher', 'GET', '/departments')).body.items.find((d) => d.code === 'CGJ');
  // A callback that reached the citizen, on a case in a community (a point in the demo district).
  let c = (await srv.api('operator', 'POST', '/cases', { title: '权重用工单', description: '路面破损', channel: 'hotline', lat: 30.18, lon: 120.07 })).body;
  c = await act(c, 'dispatcher', { action: 'dispatch', department: cgj.id });
  c = await act(c, 'handler_cgj', { action: 'sign' });
  c = await act(c, 'handler_cgj', { action: 'reply', result: '已修复', contacted: true, solved: false });
  await act(c, 'operator', { action: 'evaluate', satisfaction: 'unsatisfied' });
  const page = await loginPage(browser, srv, 'supervisor');
  await goto(page, srv, '/assessment');
  await page.locator('table.assess').waitFor();
  // The boxes show the weights in force.
  assert.ok(Number(await page.getByLabel('满意率权重').inputValue()) > 0);
  // Only 响应率 counts: every department whose callbacks all reached the citizen scores 100.
  for (const [label, v] of [['响应率权重', '1'], ['解决率权重', '0'], ['满意率权重', '0'], ['按期办结率权重', '0']]) await page.getByLabel(label).fill(v);
  await page.getByRole('button', { name: '查看' }).click();
  await page.waitForFunction(() => /响应率 1，解决率 0，满意率 0/.test(document.querySelector('.assess-out').textContent));
  assert.equal((await page.locator(`tr[data-group="${cgj.id}"] td`).nth(1).textContent()), '100.00');
  // By region, at the community level: the level picker appears and the rows are communities.
  await page.getByLabel('排名对象').selectOption('region');
  await page.getByLabel('区域层级').selectOption('community');
  await page.getByRole('button', { name: '查看' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('table.assess tbody th')].some((th) => /社区/.test(th.textContent)));
  assert.deepEqual(await axe(page), []);
});
