// 15 分钟生活圈 (issue 14): a supervisor chooses a community and sees the facilities within a
// 15-minute walk along the demo register's roads, nearest first, with the area on the map and
// the kinds it lacks; the district's list of communities lacking a kind opens one of them; a
// click on the map draws the circle of that point.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

test("a community's 15-minute circle lists its facilities and what it lacks", async () => {
  const comms = (await srv.api('admin', 'GET', '/regions?level=community')).body.items;
  let pick = null;
  for (const c of comms) {
    const r = (await srv.api('supervisor', 'GET', `/service-circle?region=${c.code}`)).body;
    if (r.places && r.places.length >= 3) { pick = { c, r }; break; }
  }
  assert.ok(pick, 'a demo community reaches facilities');
  const p = await loginPage(browser, srv, 'supervisor');
  await goto(p, srv, '/service-circle');
  await p.locator('h1', { hasText: '15分钟生活圈' }).waitFor();
  await p.selectOption('select[name="region"]', pick.c.code);
  await p.locator('.circle-summary h2', { hasText: pick.c.name }).waitFor();
  const items = p.locator('.circle-places li');
  await items.first().waitFor();
  // Bus stops are left out of the list (there are many); the rest in the server's order.
  const listed = pick.r.places.filter((x) => x.type !== 'bus_stop');
  assert.match(await items.first().textContent(), new RegExp(listed[0].name));
  assert.match(await items.first().textContent(), /步行约 [\d.]+ 分钟（\d+ 米）/);
  // The area is drawn on the map, with the origin and the facilities.
  assert.ok(await p.locator('.circle-map path.leaflet-interactive, .circle-map svg path').count() > 3);
  // The kinds table: coverage columns for a community, lacking kinds marked 缺少.
  const lacking = pick.r.coverage.filter((x) => x.lacking && x.type !== 'other').length;
  assert.equal(await p.locator('.circle-types tr.lacking').count() >= lacking, true);
  await shot(p, 'circle-1-community');
  assert.deepEqual(await axe(p), []);

  // The gaps list opens a lacking community.
  const gaps = (await srv.api('supervisor', 'GET', '/service-circle/gaps')).body;
  assert.ok(gaps.rows.length > 0, 'the demo leaves gaps');
  const row = p.locator(`.circle-gaps tr[data-region="${gaps.rows[0].region_code}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /（\d+%，/);
  await row.locator('button').click();
  await p.locator('.circle-summary h2', { hasText: gaps.rows[0].region_name }).waitFor();
  await p.locator(`.circle-types tr.lacking[data-type="${gaps.rows[0].type}"]`).waitFor();

  // A click on the map: the circle of that point.
  const box = await p.locator('.circle-map').boundingBox();
  await p.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.7);
  // The middle of the district is on or near a road, or the server says how far the nearest is.
  await p.locator('.circle-summary h2:has-text("所选位置"), .circle-summary .error').first().waitFor();
  await shot(p, 'circle-2-point');
});
