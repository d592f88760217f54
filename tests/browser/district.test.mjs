// The demo on a real district (`gridloop init --demo --district 东城区`, docs/grid.md section 8):
// the supervisor's dashboard map shows 东城区's real streets and colours its grids, and the
// report form finds an address of the register laid over the district and shows its grid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto } from './helper.mjs';

let srv;
let browser;
before(async () => {
  srv = await startServer([], { init: ['--district', '东城区', '--demo-cases', '60'] });
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.stop(); });

test('the dashboard map is 东城区 with its streets and grids', async () => {
  const grids = (await srv.api('admin', 'GET', '/regions?level=grid')).body.items;
  assert.equal(grids.length, 338);
  assert.ok(grids.every((g) => g.code.startsWith('110101') && g.code.length === 14));
  const page = await loginPage(browser, srv, 'supervisor');
  await goto(page, srv, '/dashboard');
  const labels = page.locator('.map-label');
  await labels.first().waitFor();
  const text = (await labels.allTextContents()).join(' ');
  for (const street of ['东华门街道', '和平里街道', '永定门外街道']) assert.ok(text.includes(street), text);
  await page.locator('path.choro-grid[data-grid^="110101"]').first().waitFor();
  await page.locator('.grid-rank tr[data-grid^="110101"]').first().waitFor();
  assert.deepEqual(page.errors, []);
  await shot(page, 'district-1-dashboard');
});
