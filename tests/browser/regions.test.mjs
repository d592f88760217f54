// 区域 administration: the admin imports a region file whose refused features are reported in
// Chinese (feature, code, field, why) and nothing is written, then the corrected file adds a
// micro-grid (微网格) inside a grid; locate answers the micro-grid, and the export holds it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

// Inside the demo district's first grid.
const LAT = 30.176375;
const LON = 120.0615;
const D = 0.0002;
const square = (x0, y0, x1, y1) => ({ type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] });
const fc = (...features) => ({ type: 'FeatureCollection', features });
const feat = (code, name, level, parent, geometry) => ({ type: 'Feature', properties: { code, name, level, parent_code: parent }, geometry });

test('import a region file with its report, then a micro-grid', async () => {
  const at = await srv.api('admin', 'GET', `/regions/locate?lat=${LAT}&lon=${LON}`);
  assert.equal(at.status, 200, JSON.stringify(at.body));
  const grid = at.body.code;
  assert.equal(at.body.level, 'grid');

  const page = await loginPage(browser, srv, 'admin');
  await goto(page, srv, '/admin/regions');
  await page.getByRole('heading', { name: '导入区划文件' }).waitFor();
  assert.deepEqual(await axe(page), []);

  const bowtie = { type: 'Polygon', coordinates: [[[LON - D, LAT - D], [LON + D, LAT + D], [LON + D, LAT - D], [LON - D, LAT + D], [LON - D, LAT - D]]] };
  const bad = fc(
    feat(`${grid}.1`, '第1微网格', 'micro', grid, bowtie),
    feat('999999999999.X', '无上级', 'micro', '999999999999', square(LON - D, LAT - D, LON, LAT)));
  const file = page.getByLabel('区划文件（GeoJSON）');
  await file.setInputFiles({ name: 'bad.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(bad)) });
  await page.getByRole('button', { name: '导入', exact: true }).click();
  const report = page.locator('.import-report');
  await report.waitFor();
  const text = await report.textContent();
  assert.match(text, /文件有 2 处错误，未导入任何数据/);
  assert.match(text, /第 1 个要素.*边界边界不是有效的多边形/);
  assert.match(text, /第 2 个要素.*上级编码/);
  assert.doesNotMatch(text, /[A-Za-z]{4,}/, 'the report is in Chinese');
  await shot(page, 'regions-import-report');
  let loc = await srv.api('admin', 'GET', `/regions/locate?lat=${LAT}&lon=${LON}`);
  assert.equal(loc.body.code, grid, 'nothing half-imported');

  const good = fc(feat(`${grid}.1`, '第1微网格', 'micro', grid, square(LON - D, LAT - D, LON + D, LAT + D)));
  await file.setInputFiles({ name: 'good.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(good)) });
  await page.getByRole('button', { name: '导入', exact: true }).click();
  await page.getByText('导入完成：共 1 个区域（新增 1 个，更新 0 个）').waitFor();
  await page.getByText(/拼接检查：缺口 0 处、重叠 0 处、超出上级 0 处/).waitFor();
  loc = await srv.api('admin', 'GET', `/regions/locate?lat=${LAT}&lon=${LON}`);
  assert.equal(loc.body.code, `${grid}.1`);
  assert.equal(loc.body.level, 'micro');

  await page.getByRole('button', { name: '刷新区域列表' }).click();
  await page.getByText(/1 个微网格/).waitFor();
  const href = await page.getByRole('link', { name: '下载区划文件（GeoJSON）' }).getAttribute('href');
  const exported = await srv.api('admin', 'GET', href.replace('/api/v1', ''));
  assert.equal(exported.status, 200);
  assert.ok(exported.body.features.some((f) => f.properties.code === `${grid}.1`), 'the export holds the micro-grid');
  assert.deepEqual(page.errors, []);
});
