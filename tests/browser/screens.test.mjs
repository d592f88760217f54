// Every screen for every role: axe-core finds no serious or critical violation, no script error,
// nothing wider than the viewport; plus elder mode, the 360 px phone runs of the grid worker and
// the citizen, and keyboard-only work with visible focus. Screenshots go to artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loginPage, shot, goto, axe, PNG, readableProblems } from './helper.mjs';
import { ids, setupScreens, checkScreen, checkUsersScreens, FIRST_USERS } from './screens-fixture.mjs';

let srv;
let browser;
before(async () => { ({ srv, browser } = await setupScreens()); });
after(async () => { await browser?.close(); await srv?.stop(); });

// The other users' screens: screens-roles.test.mjs.
test('axe-core: every screen of the citizen, grid worker, operator, dispatcher and department, and the login and lookup pages', async () => {
  const anon = await (await browser.newContext()).newPage();
  for (const hash of ['/login', '/signin', '/lookup', '/decisions']) {
    await goto(anon, srv, hash);
    await checkScreen(anon, hash);
  }
  await shot(anon, 'login');
  // The checker itself must be able to fail: an image without alt text is a critical violation.
  await anon.evaluate(() => document.querySelector('main').append(Object.assign(document.createElement('img'), { src: 'data:,' })));
  assert.ok((await axe(anon)).some((v) => v.id === 'image-alt'), 'axe reports a planted violation');
  // And the reading check: a planted English server message, raw key and bare id are found.
  await anon.evaluate(() => document.querySelector('main').append(Object.assign(document.createElement('p'),
    { textContent: "field 'password' must be 8 to 128 characters long action.merge_in 协办部门 3" })));
  const planted = await readableProblems(anon);
  assert.ok(planted.includes('English "field"') && planted.includes('raw key "action.merge_in"') && planted.includes('bare id "部门 3"'), planted.join());
  await checkUsersScreens(browser, srv, FIRST_USERS);
});

test('admin: an API error is shown in plain words under the field it names, then the fix saves', async () => {
  const page = await loginPage(browser, srv, 'admin');
  await goto(page, srv, '/admin/users');
  const form = page.locator('form', { hasText: '初始密码' });
  await form.getByLabel('用户名').fill('ui_new_worker');
  await form.getByLabel('初始密码').fill('short');
  await form.getByLabel('网格员').check();
  await form.getByRole('button', { name: '保存' }).click();
  const err = form.locator('[data-fields~="password"] .error');
  await err.waitFor();
  // The server's English message is never shown: the sentence comes from the strings table.
  assert.equal(await err.textContent(), '密码须为 8 至 128 个字符。');
  assert.equal(await form.getByLabel('初始密码').getAttribute('aria-invalid'), 'true');
  assert.ok(await form.getByLabel('初始密码').evaluate((el) => el === document.activeElement), 'focus on the field');
  await form.getByLabel('初始密码').fill('a-long-enough-password');
  await form.getByRole('button', { name: '保存' }).click();
  await page.getByRole('cell', { name: 'ui_new_worker', exact: true }).waitFor();
  const users = (await srv.api('admin', 'GET', '/users')).body.items;
  assert.deepEqual(users.find((u) => u.name === 'ui_new_worker').roles, ['grid_worker']);
});

test('admin: adds a category under a parent and edits a department', async () => {
  const page = await loginPage(browser, srv, 'admin');
  await goto(page, srv, '/admin/categories');
  const form = page.locator('form', { hasText: '关键词' });
  const parent = (await srv.api('admin', 'GET', '/categories?level=1')).body.items[0];
  await form.getByLabel('上级').selectOption(String(parent.id));
  await form.getByLabel('编码').fill(parent.code + '77');
  await form.getByLabel('名称').fill('界面新增分类');
  await form.getByRole('button', { name: '保存' }).click();
  await page.getByRole('cell', { name: parent.code + '77', exact: true }).waitFor();
  const cats = (await srv.api('admin', 'GET', `/categories?parent_id=${parent.id}`)).body.items;
  const made = cats.find((c) => c.code === parent.code + '77');
  assert.equal(made.name, '界面新增分类');
  assert.equal(made.level, 2);

  await goto(page, srv, '/admin/departments');
  const edit = page.locator('form', { hasText: '编辑' });
  await edit.getByLabel('主办部门').selectOption('2');
  await edit.getByLabel('电话').fill('0571-86900999');
  await edit.getByRole('button', { name: '保存' }).click();
  await page.getByRole('cell', { name: '0571-86900999' }).waitFor();
  assert.equal((await srv.api('admin', 'GET', '/departments/2')).body.phone, '0571-86900999');
});

test('supervisor: approves an extension request from the pending queue', async () => {
  const page = await loginPage(browser, srv, 'supervisor');
  await goto(page, srv, '/supervise?tab=pending');
  const c = (await srv.api('supervisor', 'GET', `/cases/${ids.extending}`)).body;
  assert.ok(c.pending, 'the seeded case waits for approval');
  await page.getByRole('link', { name: c.number }).click();
  await page.locator('.case-page h1').waitFor();
  await page.locator('.actions button[data-action="approve"]').click();
  const f = page.locator('form[data-form="approve"]');
  await f.locator('button[type=submit]').click();
  await f.waitFor({ state: 'detached' });
  const after = (await srv.api('supervisor', 'GET', `/cases/${ids.extending}`)).body;
  assert.equal(after.pending, null);
  assert.notEqual(after.deadlines.resolve, c.deadlines.resolve);
});

test('dashboard: KPI tiles, map markers, charts and a live event from the stream', async () => {
  const page = await loginPage(browser, srv, 'supervisor', { viewport: { width: 1920, height: 1080 } });
  await goto(page, srv, '/dashboard');
  await page.locator('.stream-state[data-stream="open"]').waitFor();
  await page.locator('.tile[data-kpi="today"] .v').waitFor();
  assert.ok(Number(await page.locator('.tile[data-kpi="today"] .v').textContent()) >= 6);
  // One circle per located case (the seeded six at least), drawn over the boundaries.
  await page.waitForFunction(() => document.querySelectorAll('.dash-map path.leaflet-interactive').length >= 6);
  await page.locator('.chart canvas').first().waitFor();
  assert.equal(await page.locator('.tile[data-kpi="satisfaction"] .v').textContent(), '100.0%');
  // An urge on an open case notifies its department; an approval request reaches supervisors:
  // a new extension request must show up in the live feed without a reload.
  const c = (await srv.api('supervisor', 'GET', `/cases/${ids.processing}`)).body;
  const r = await srv.api('handler_cgj', 'POST', `/cases/${c.id}/actions`, { version: c.version, action: 'hang', reason: '等待上级批复' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  // (The feed opened with recent history, which may hold this case's intake notice too.)
  await page.locator('.feed li', { hasText: c.number }).filter({ hasText: '申请挂账' }).waitFor({ timeout: 10000 });
  // Issue 13: a case arriving in the supervisor's scope shows up live (the supervisor's stream
  // carries new cases, not only its own notices), and the feed opened with recent history.
  const fresh = await srv.api('operator', 'POST', '/cases', { title: '督办大屏实时新工单', description: '井盖缺失', channel: 'hotline' });
  assert.equal(fresh.status, 201);
  await page.locator('.feed li', { hasText: fresh.body.number }).first().waitFor({ timeout: 10000 });
  await checkScreen(page, 'dashboard-1920');
  await shot(page, 'dashboard-1920');
  assert.deepEqual(page.errors, []);
  // A dashboard opened now starts with that history (the first one closed: streams per user
  // are capped, and earlier tests keep theirs open).
  await page.context().close();
  const again = await loginPage(browser, srv, 'supervisor');
  await goto(again, srv, '/dashboard');
  await again.locator('.feed li', { hasText: fresh.body.number }).first().waitFor({ timeout: 10000 });
  await again.context().close();
});

test('elder mode: one keyboard toggle, larger text and controls, fewer things, still accessible', async () => {
  const page = await loginPage(browser, srv, 'citizen');
  await goto(page, srv, '/report');
  const before = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  assert.ok(await page.locator('.secondary-info').first().isVisible());
  await page.locator('#elder').focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#elder').getAttribute('aria-pressed'), 'true');
  const after = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  assert.ok(after >= before * 1.3, `text grows (${before} → ${after})`);
  assert.ok(!(await page.locator('.secondary-info').first().isVisible()), 'secondary information hidden');
  const btnH = (await page.getByRole('button', { name: '提交诉求' }).boundingBox()).height;
  assert.ok(btnH >= 56, `large buttons (${btnH}px)`);
  await checkScreen(page, 'elder-report');
  await shot(page, 'elder-report');
  // Reporting still works in elder mode, and the mode survives a reload.
  await page.getByLabel('问题描述').fill('楼下路灯坏了，晚上看不见路');
  await page.getByRole('button', { name: '提交诉求' }).click();
  await page.locator('.done').waitFor();
  await page.reload();
  await page.locator('main h1').waitFor();
  assert.equal(await page.locator('html').getAttribute('class'), 'elder');
  await goto(page, srv, `/case/${ids.citizenReplied}`);
  await checkScreen(page, 'elder-case');
  await shot(page, 'elder-case');
});

const PHONE = { viewport: { width: 360, height: 740 } };

test('360 px phone: the grid worker reports a patrol finding where they stand, with a photo', async () => {
  // The phone's position (granted geolocation) is the location: one tap, no map aiming.
  const page = await loginPage(browser, srv, 'grid_worker', { ...PHONE, geolocation: { latitude: 30.1865, longitude: 120.0665 } });
  await goto(page, srv, '/report');
  await checkScreen(page, 'phone-grid-report');
  await page.getByLabel('问题描述').fill('巡查发现青石社区3号楼前绿化带堆放建筑垃圾');
  await page.locator('.pick-map.leaflet-container').waitFor();
  await page.getByRole('button', { name: '使用我的当前位置' }).click();
  await page.getByText('已选位置：30.1865, 120.0665').waitFor();
  await page.getByLabel('照片').setInputFiles({ name: 'patrol.png', mimeType: 'image/png', buffer: PNG });
  await page.getByRole('button', { name: '提交诉求' }).click();
  await page.locator('.done').waitFor();
  await shot(page, 'phone-grid-reported');
  await page.locator('.done a').click();
  await page.locator('.case-page h1').waitFor();
  const id = Number(page.url().match(/case\/(\d+)/)[1]);
  const c = (await srv.api('grid_worker', 'GET', `/cases/${id}`)).body;
  assert.equal(c.channel, 'grid');
  assert.ok(c.region_id);
  assert.equal(c.attachments.length, 1);
  await checkScreen(page, 'phone-grid-case');
  await goto(page, srv, '/mine');
  await checkScreen(page, 'phone-grid-mine');
  assert.deepEqual(page.errors, []);
});

test('360 px phone: the citizen follows a case and evaluates it', async () => {
  const page = await loginPage(browser, srv, 'citizen', PHONE);
  await goto(page, srv, '/mine');
  await checkScreen(page, 'phone-citizen-mine');
  await shot(page, 'phone-citizen-mine');
  // The replied case says plainly that it waits for an evaluation.
  await page.locator(`li[data-case="${ids.citizenReplied}"]`).getByRole('link', { name: /已答复，请评价/ }).click();
  await page.locator('.case-page h1').waitFor();
  await checkScreen(page, 'phone-citizen-case');
  await page.locator('.actions button[data-action="evaluate"]').click();
  const f = page.locator('form[data-form="evaluate"]');
  await f.getByLabel('满意', { exact: true }).check();
  await shot(page, 'phone-citizen-evaluate');
  await f.locator('button[type=submit]').click();
  await f.waitFor({ state: 'detached' });
  assert.equal((await srv.api('citizen', 'GET', `/cases/${ids.citizenReplied}`)).body.state, 'closed');
  await checkScreen(page, 'phone-citizen-closed');
  assert.deepEqual(page.errors, []);
});

test('keyboard only: a location is picked on the map with the arrow keys and Enter', async () => {
  const page = await loginPage(browser, srv, 'citizen');
  await goto(page, srv, '/report');
  await page.locator('.pick-map.leaflet-container').waitFor();
  for (let i = 0; i < 60 && !(await page.evaluate(() => document.activeElement.classList.contains('pick-map'))); i++) {
    await page.keyboard.press('Tab');
  }
  assert.ok(await page.evaluate(() => document.activeElement.classList.contains('pick-map')), 'the map takes focus');
  await page.keyboard.press('ArrowLeft');
  await page.waitForTimeout(400);
  await page.keyboard.press('Enter');
  await page.getByText(/已选位置/).waitFor();
});

test('keyboard only: the department signs a case; focus is always visible', async () => {
  const page = await loginPage(browser, srv, 'handler_cgj');
  await goto(page, srv, '/workbench');
  // Tab to the case link, open it, Tab to 签收, open the form, Tab to its submit button.
  const tabTo = async (pred, what) => {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      const hit = await page.evaluate(pred);
      if (hit) {
        const outline = await page.evaluate(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; });
        assert.ok(outline, `${what}: focus ring visible`);
        return;
      }
    }
    assert.fail(`could not reach ${what} with Tab`);
  };
  const c = (await srv.api('handler_cgj', 'GET', `/cases/${ids.dispatched}`)).body;
  await tabTo(`document.activeElement.textContent === ${JSON.stringify(c.number)}`, 'the case link');
  await page.keyboard.press('Enter');
  await page.locator('.case-page h1').waitFor();
  await tabTo('document.activeElement.dataset.action === "sign"', 'the sign button');
  await page.keyboard.press('Enter');
  await page.locator('form[data-form="sign"]').waitFor();
  await tabTo('document.activeElement.type === "submit" && !!document.activeElement.closest("form[data-form=sign]")', 'the submit button');
  await page.keyboard.press('Enter');
  await page.locator('form[data-form="sign"]').waitFor({ state: 'detached' });
  assert.equal((await srv.api('handler_cgj', 'GET', `/cases/${ids.dispatched}`)).body.state, 'processing');
});

test('wall mode: the dashboard fits 1920×1080 without scrolling, dark, and its tiles open their cases', async () => {
  const page = await loginPage(browser, srv, 'supervisor', { viewport: { width: 1920, height: 1080 } });
  await goto(page, srv, '/dashboard?wall=1');
  await page.locator('.tile[data-kpi="today"] .v').waitFor();
  await page.waitForFunction(() => document.documentElement.classList.contains('wall'));
  await page.waitForTimeout(500);
  const size = await page.evaluate(() => ({ h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth,
    bg: getComputedStyle(document.body).backgroundColor }));
  assert.ok(size.h <= 1080 && size.w <= 1920, `fits the wall: ${JSON.stringify(size)}`);
  assert.equal(size.bg, 'rgb(2, 6, 23)');
  await shot(page, 'dashboard-wall-1920');
  assert.deepEqual(await axe(page), []);
  // A tile drills down to the cases it counts.
  await page.locator('.tile[data-kpi="overdue"]').click();
  await page.locator('.list-status').waitFor();
  assert.match(page.url(), /#\/cases\?overdue=true/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
