// 标准地址库: the admin imports a CSV whose bad lines are reported in Chinese (line, field, why)
// and nothing is written, imports the corrected file, finds the new address, edits its house
// number and moves it on the small map, and the register holds the change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

// Inside the demo district's first grid (33017900100101).
const LAT = 30.176375;
const LON = 120.0615;

test('import with a per-line report, then edit an address', async () => {
  const r = await srv.api('admin', 'POST', '/address-register/roads', {
    code: 'BR-R1', name: '浏览器甲路', kind: 'branch',
    geometry: { type: 'LineString', coordinates: [[LON - 0.001, LAT], [LON + 0.001, LAT]] },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));

  const page = await loginPage(browser, srv, 'admin');
  await goto(page, srv, '/admin/register');
  await page.locator('.register-results table, .register-results .empty').first().waitFor();
  assert.deepEqual(await axe(page), []);

  const bad = `地址,纬度,经度\n浏览器甲路1号,${LAT},${LON}\n浏览器乙路2号,${LAT},${LON}\n浏览器甲路3号,北纬,${LON}\n`;
  const file = page.getByLabel('地址库文件（GeoJSON 或 CSV）');
  await file.setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.getByRole('button', { name: '导入', exact: true }).click();
  const report = page.locator('.import-report');
  await report.waitFor();
  const text = await report.textContent();
  assert.match(text, /文件有 2 处错误，未导入任何数据/);
  assert.match(text, /第 3 行地址引用的道路、楼栋或门牌地址在地址库中不存在/);
  assert.match(text, /第 4 行纬度格式不正确/);
  assert.doesNotMatch(text, /[A-Za-z]{4,}/, 'the report is in Chinese');
  await shot(page, 'register-import-report');
  let pts = await srv.api('admin', 'GET', '/address-register/points?q=浏览器甲路');
  assert.equal(pts.body.total, 0, 'nothing half-imported');

  const good = `地址,纬度,经度\n浏览器甲路1号,${LAT},${LON}\n`;
  await file.setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
  await page.getByRole('button', { name: '导入', exact: true }).click();
  await page.getByText('导入完成：共 1 行').waitFor();
  const n = (await srv.api('admin', 'GET', '/address-register')).body.counts.points;
  await page.getByText(`门牌地址 ${n} 个`).waitFor(); // the counts follow the import

  // Find it and edit it.
  await page.getByLabel('类别').selectOption({ label: '门牌地址' });
  await page.getByLabel('关键词（编码、名称或地址）').fill('浏览器甲路');
  await page.getByRole('button', { name: '查询' }).click();
  const row = page.locator('.register-results tr', { hasText: '浏览器甲路1号' });
  await row.waitFor();
  assert.match(await row.textContent(), /网格/, 'the grid it lies in');
  await row.getByRole('button', { name: '编辑' }).click();
  const form = page.locator('.register-editor form');
  await form.waitFor();
  await form.getByLabel('门牌号').fill('9号');
  // The map moves the point: a click beside the marker.
  const map = form.locator('.register-map');
  await map.locator('.leaflet-marker-icon').waitFor();
  const box = await map.boundingBox();
  await map.click({ position: { x: box.width / 2 + 30, y: box.height / 2 } });
  await form.getByText(/位置已移到/).waitFor();
  const lon = Number(await form.getByLabel('经度').inputValue());
  assert.ok(lon > LON && lon < LON + 0.001, `moved east: ${lon}`);
  await shot(page, 'register-edit');
  await form.getByRole('button', { name: '保存' }).click();
  await page.locator('.register-results tr', { hasText: '浏览器甲路9号' }).waitFor();

  pts = await srv.api('admin', 'GET', '/address-register/points?q=浏览器甲路');
  assert.equal(pts.body.total, 1);
  assert.equal(pts.body.items[0].address, '浏览器甲路9号');
  assert.ok(Math.abs(pts.body.items[0].lon - lon) < 1e-9);
  assert.deepEqual(page.errors, []);
});

test('add an address point on a road and a place of interest', async () => {
  const r = await srv.api('admin', 'POST', '/address-register/roads', {
    code: 'BR-R2', name: '浏览器丙路', kind: 'branch',
    geometry: { type: 'LineString', coordinates: [[LON - 0.001, LAT + 0.0005], [LON + 0.001, LAT + 0.0005]] },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const page = await loginPage(browser, srv, 'admin');
  await goto(page, srv, '/admin/register');
  await page.locator('.register-results table, .register-results .empty').first().waitFor();

  await page.getByLabel('类别').selectOption({ label: '门牌地址' });
  await page.getByRole('button', { name: '新增' }).click();
  const form = page.locator('.register-editor form');
  await form.getByRole('heading', { name: '新增门牌地址' }).waitFor();
  await form.getByLabel('编码').fill('BR-P2');
  // A road the register does not have is named as the fault, in Chinese.
  await form.getByLabel('道路', { exact: true }).fill('没有这条路');
  await form.getByLabel('门牌号').fill('5号');
  await form.getByLabel('纬度').fill(String(LAT + 0.0005));
  await form.getByLabel('经度').fill(String(LON));
  await form.getByRole('button', { name: '保存' }).click();
  await form.getByText('地址库中没有这条道路，请从候选中选择').waitFor();
  await form.getByLabel('道路', { exact: true }).fill('浏览器丙路');
  await form.getByRole('button', { name: '保存' }).click();
  await page.locator('.register-results tr', { hasText: '浏览器丙路5号' }).waitFor();
  const pts = await srv.api('admin', 'GET', '/address-register/points?q=浏览器丙路');
  assert.equal(pts.body.total, 1);
  assert.equal(pts.body.items[0].code, 'BR-P2');
  assert.ok(pts.body.items[0].region, 'resolved to its grid');
  await shot(page, 'register-add-point');

  await page.getByLabel('类别').selectOption({ label: '兴趣点' });
  await page.getByRole('button', { name: '新增' }).click();
  await form.getByRole('heading', { name: '新增兴趣点' }).waitFor();
  await form.getByLabel('编码').fill('BR-PL1');
  await form.getByLabel('名称', { exact: true }).fill('浏览器社区卫生站');
  await form.getByLabel('类型').selectOption({ index: 1 });
  await form.getByLabel('纬度').fill(String(LAT));
  await form.getByLabel('经度').fill(String(LON));
  await form.getByRole('button', { name: '保存' }).click();
  await page.locator('.register-results tr', { hasText: '浏览器社区卫生站' }).waitFor();
  const pl = await srv.api('admin', 'GET', '/address-register/places?q=浏览器社区卫生站');
  assert.equal(pl.body.total, 1);

  // Roads and buildings come with drawn geometry: the screen sends the admin to the import.
  await page.getByLabel('类别').selectOption({ label: '道路' });
  await page.getByRole('button', { name: '新增' }).click();
  await page.getByText(/请用下方“导入文件”新增/).waitFor();
  assert.deepEqual(page.errors, []);
});
