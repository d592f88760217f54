// 感知设备 (issue 16, item 7): the registry lists the demo's devices by type in Chinese with
// their state; a device's page shows its condition (超标中 and the case it opened) and a chart of
// the readings a data officer posted; registering a device with a bad code is refused under the
// code, a good one opens its page; a supervisor changes a threshold.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe, readableProblems } from './helper.mjs';

let srv;
let browser;
let noise;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
before(async () => {
  srv = await startServer();
  browser = await launch();
  noise = (await srv.api('admin', 'GET', '/devices')).body.items.find((d) => d.code === 'DEMO-NOISE-1');
  // Six readings over the last hour, the last above the 85 dB line: a case opens.
  const t0 = Date.now() - 3600 * 1000;
  const readings = [60, 62, 70, 66, 72, 96].map((v, i) => ({ device: 'DEMO-NOISE-1', time: iso(t0 + i * 600 * 1000), values: { noise_db: v } }));
  const r = await srv.api('data_officer', 'POST', '/readings', { readings });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.cases, 1);
});
after(async () => { await browser?.close(); await srv?.stop(); });

test('the registry, a device page with its condition and chart, and registering a device', async () => {
  const page = await loginPage(browser, srv, 'data_officer');
  await page.getByRole('navigation').getByRole('link', { name: '感知设备' }).click();
  await page.locator('main h1', { hasText: '感知设备' }).waitFor();
  const row = page.locator('table.device-table tr[data-device="DEMO-NOISE-1"]');
  await row.getByText('噪声监测', { exact: true }).waitFor();
  await row.getByText('在线', { exact: true }).waitFor();
  await page.locator('table.device-table tr[data-device="DEMO-GAS-1"]').getByText('燃气监测', { exact: true }).waitFor();
  await page.locator('table.device-table tr[data-device="DEMO-GAS-1"]').getByText('从未上报').waitFor();
  // The thresholds, read-only for a data officer.
  await page.locator('table.threshold-table tr[data-threshold="noise.noise_db"]').getByText('85').waitFor();
  assert.equal(await page.locator('table.threshold-table button').count(), 0);
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(await readableProblems(page), []);
  await shot(page, 'devices-registry');

  // The device page: 超标中 since the breach, its case, and the readings on the chart.
  await row.getByRole('link', { name: noise.name }).click();
  await page.locator('main h1', { hasText: noise.name }).waitFor();
  const cond = page.locator('.device-states li[data-metric="noise_db"]');
  await cond.getByText('超标中').waitFor();
  const caseId = (await srv.api('admin', 'GET', `/devices/${noise.id}`)).body.states.find((s) => s.metric === 'noise_db').case_id;
  assert.ok(caseId);
  assert.equal(await cond.getByRole('link', { name: '查看对应工单' }).getAttribute('href'), `#/case/${caseId}`);
  const chart = page.locator('.device-chart[data-metric="noise_db"]');
  await chart.locator('canvas').waitFor();
  assert.equal(await chart.getAttribute('data-readings'), '6');
  await page.getByText('共 6 条读数，最高 96dB。').waitFor();
  assert.match(await chart.getAttribute('aria-label'), /^噪声：/);
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(await readableProblems(page), []);
  await shot(page, 'device-page');

  // Registering: a code with a space is refused under the code, and nothing is registered.
  await goto(page, srv, '/devices');
  const form = page.locator('form.device-form');
  await form.getByLabel('设备编码').fill('NOISE 9');
  await form.getByLabel('设备类型').selectOption('noise');
  await form.getByLabel('设备名称').fill('噪声监测点9（夜市）');
  await form.getByLabel('纬度').fill(String(noise.lat));
  await form.getByLabel('经度').fill(String(noise.lon));
  await form.getByLabel('上报间隔（秒）').fill('60');
  await form.getByRole('button', { name: '登记设备' }).click();
  const err = form.locator('.field[data-fields~="code"] .error:not([hidden])');
  await err.waitFor();
  assert.match(await err.textContent(), /设备编码只能包含字母、数字/);
  assert.equal(await form.getByLabel('设备编码').getAttribute('aria-invalid'), 'true');
  assert.ok(!(await srv.api('admin', 'GET', '/devices')).body.items.some((d) => d.name === '噪声监测点9（夜市）'));
  assert.deepEqual(await axe(page), []);
  await form.getByLabel('设备编码').fill('NOISE-9');
  await form.getByRole('button', { name: '登记设备' }).click();
  await page.locator('main h1', { hasText: '噪声监测点9（夜市）' }).waitFor();
  const made = (await srv.api('admin', 'GET', '/devices')).body.items.find((d) => d.code === 'NOISE-9');
  assert.equal(made.region_id, noise.region_id);
  assert.equal(made.interval_s, 60);
  await page.getByText('从未上报').first().waitFor();
  await page.getByText('这段时间没有读数。').waitFor();
  // Edited on its page: switched off.
  const edit = page.locator('form.device-form');
  await edit.getByLabel('启用（停用后不再接收读数）').uncheck();
  await edit.getByRole('button', { name: '保存修改' }).click();
  await page.locator('main dd .dev-inactive', { hasText: '已停用' }).waitFor();
  assert.equal((await srv.api('admin', 'GET', `/devices/${made.id}`)).body.active, false);
  assert.deepEqual(page.errors, []);
});

test('a supervisor changes a threshold; a clear level above the alarm is refused under it', async () => {
  const page = await loginPage(browser, srv, 'supervisor');
  await goto(page, srv, '/devices');
  assert.equal(await page.locator('form.device-form').count(), 0, 'a supervisor does not register devices');
  await page.getByRole('button', { name: '修改“噪声”' }).click();
  const form = page.locator('form.threshold-form');
  await form.getByLabel('恢复值').fill('90');
  await form.getByRole('button', { name: '保存阈值' }).click();
  await form.locator('.field[data-fields~="clear"] .error:not([hidden])', { hasText: '恢复值' }).waitFor();
  assert.deepEqual(await axe(page), []);
  await form.getByLabel('报警值').fill('80');
  await form.getByLabel('恢复值').fill('70');
  await form.getByRole('button', { name: '保存阈值' }).click();
  const row = page.locator('table.threshold-table tr[data-threshold="noise.noise_db"]');
  await row.locator('td', { hasText: /^80$/ }).waitFor();
  const th = (await srv.api('admin', 'GET', '/sensor-thresholds')).body.items.find((x) => x.metric === 'noise_db');
  assert.equal(th.high, 80);
  assert.equal(th.clear, 70);
  assert.deepEqual(await readableProblems(page), []);
  assert.deepEqual(page.errors, []);
});
