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
