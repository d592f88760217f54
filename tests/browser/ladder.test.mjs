// The ladder (docs/grid.md §5) on the officials' 层级工单 screen: the district's command centre
// forwards a hotline case down to 青石街道 (二级派单), the street forwards it to 青石社区, the
// community escalates it back up with a reason (a missing reason is refused under its field), and
// the street sees it come back with that reason; the case page's timeline has every move. Then
// the community handles a case itself, it is closed, and the assessment's 层级处置 table counts it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

async function region(code) {
  const r = await srv.api('admin', 'GET', '/regions?limit=500');
  return r.body.items.find((x) => x.code === code);
}

// Open the case's row on the 层级工单 screen and take one move.
async function openRow(page, number) {
  await goto(page, srv, '/ladder');
  const row = page.locator('li.ladder-case', { hasText: number });
  await row.waitFor();
  await row.locator('button[data-ladder-open]').click();
  return row;
}

test('the district forwards down, the street forwards, the community escalates with a reason', async () => {
  const grid = await region('33017900100101');
  const c = (await srv.api('operator', 'POST', '/cases', { title: '楼道堆物堵塞消防通道', description: '三单元楼道堆满纸箱', channel: 'hotline', region_id: grid.id })).body;

  // The command centre (dispatcher, no region) holds it at the district.
  const centre = await loginPage(browser, srv, 'dispatcher');
  let row = await openRow(centre, c.number);
  assert.match(await row.textContent(), /澜溪区（区级）/);
  await row.locator('button[data-ladder-move="forward"]').click();
  let f = row.locator('form[data-form="ladder-forward"]');
  await f.getByLabel('派往').selectOption({ label: '青石街道' });
  await f.getByLabel('说明').fill('请街道组织清理');
  await f.locator('button[type=submit]').click();
  await centre.locator('li.ladder-case', { hasText: c.number }).waitFor({ state: 'detached' });

  // The street finds it at its level and sends it on to the community.
  const street = await loginPage(browser, srv, 'street_official');
  row = await openRow(street, c.number);
  assert.match(await row.textContent(), /青石街道（街道级）.*上级派来/s);
  assert.match(await row.locator('.ladder-steps').textContent(), /澜溪区.*青石街道/s);
  await row.locator('button[data-ladder-move="forward"]').click();
  f = row.locator('form[data-form="ladder-forward"]');
  await f.getByLabel('派往').selectOption({ label: '青石社区' });
  await f.locator('button[type=submit]').click();
  await street.locator('li.ladder-case', { hasText: c.number }).waitFor({ state: 'detached' });

  // The community escalates it: the reason is required.
  const community = await loginPage(browser, srv, 'community_official');
  row = await openRow(community, c.number);
  await row.locator('button[data-ladder-move="escalate"]').click();
  f = row.locator('form[data-form="ladder-escalate"]');
  await f.locator('button[type=submit]').click();
  await f.locator('.error:not([hidden])').first().waitFor();
  await f.getByLabel('原因').fill('涉及消防执法，社区无执法权');
  await shot(community, 'ladder-escalate');
  await f.locator('button[type=submit]').click();
  await community.locator('li.ladder-case', { hasText: c.number }).waitFor({ state: 'detached' });

  // Back at the street, with the community's reason.
  await street.reload(); // the same hash: a reload draws the queue afresh
  await street.locator('main h1').waitFor();
  row = street.locator('li.ladder-case', { hasText: c.number });
  await row.waitFor();
  assert.match(await row.textContent(), /下级上报：涉及消防执法，社区无执法权/);
  await shot(street, 'ladder-queue');

  // Every move is on the case's timeline.
  await goto(street, srv, `/case/${c.id}`);
  const tl = await street.locator('.timeline').textContent();
  for (const move of ['向下派单', '向上报送']) assert.ok(tl.includes(move), move);
});

test('a community handles a case itself and the assessment counts it', async () => {
  const community = await region('330179001001');
  const grid = await region('33017900100101');
  const c = (await srv.api('grid_worker', 'POST', '/cases', { title: '小区路灯不亮', description: '3号楼前路灯不亮', channel: 'grid', region_id: grid.id })).body;
  let r = await srv.api('grid_worker', 'POST', `/cases/${c.id}/ladder/escalate`, { step: 1, reason: '需社区联系物业' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.region.id, community.id);

  const page = await loginPage(browser, srv, 'community_official');
  const row = await openRow(page, c.number);
  await row.locator('button[data-ladder-move="handle"]').click();
  const f = row.locator('form[data-form="ladder-handle"]');
  await f.getByLabel('说明').fill('社区已通知物业维修');
  await f.locator('button[type=submit]').click();
  await page.locator('li.ladder-case', { hasText: c.number }).filter({ hasText: '本级处置中' }).waitFor();

  const cur = (await srv.api('admin', 'GET', `/cases/${c.id}`)).body;
  r = await srv.api('operator', 'POST', `/cases/${c.id}/actions`, { action: 'answer', version: cur.version, note: '物业已修复路灯' });
  assert.equal(r.status, 200, JSON.stringify(r.body));

  const sup = await loginPage(browser, srv, 'supervisor');
  await goto(sup, srv, '/assessment');
  const table = sup.locator('table.assess-ladder');
  await table.waitFor();
  const total = table.locator('tbody tr').first();
  // entered at a grid, went up to the community: not 小事不出网格, but 大事不出社区
  assert.equal(await total.locator('td[data-rate="grid"]').textContent(), '0.0%');
  assert.equal(await total.locator('td[data-rate="community"]').textContent(), '100.0%');
  await shot(sup, 'ladder-assessment');
});

test('on the case page a street official forwards the case to a community and its steps show', async () => {
  const grid = await region('33017900100101');
  const c = (await srv.api('operator', 'POST', '/cases', { title: '人行道地砖破损', description: '公交站旁地砖翘起', channel: 'hotline', region_id: grid.id })).body;
  const street = await region('330179001');
  let r = await srv.api('dispatcher', 'POST', `/cases/${c.id}/ladder/forward`, { step: 1, region_id: street.id, note: '请街道处理' });
  assert.equal(r.status, 200, JSON.stringify(r.body));

  const page = await loginPage(browser, srv, 'street_official');
  await goto(page, srv, `/case/${c.id}`);
  const box = page.locator('section.case-ladder');
  await box.locator('h2', { hasText: '层级流转' }).waitFor();
  assert.match(await box.textContent(), /所在层级：青石街道（街道级）/);
  assert.match(await box.locator('.ladder-steps').textContent(), /澜溪区.*本级受理.*青石街道.*上级派来：请街道处理/s);
  await box.locator('button[data-ladder-move="forward"]').click();
  const f = box.locator('form[data-form="ladder-forward"]');
  await f.getByLabel('派往').selectOption({ label: '青石社区' });
  await f.locator('button[type=submit]').click();
  await box.locator('p', { hasText: '所在层级：青石社区（社区级）' }).waitFor();
  assert.equal(await box.locator('button[data-ladder-move]').count(), 0, 'the street has no move at the community\'s level');
  await shot(page, 'ladder-case-page');

  const lad = (await srv.api('admin', 'GET', `/cases/${c.id}/ladder`)).body;
  assert.equal(lad.level, 'community');
  assert.equal(lad.steps.length, 3);
  assert.equal(lad.steps[2].came_by, 'forward');
  // The community sees the case at its level on the case page, with its moves.
  const community = await loginPage(browser, srv, 'community_official');
  await goto(community, srv, `/case/${c.id}`);
  await community.locator('section.case-ladder button[data-ladder-move="handle"]').waitFor();
});
