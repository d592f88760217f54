// The screens' fixture, shared by screens.test.mjs and screens-roles.test.mjs (two files so that
// the axe-core walk over every role's screens runs on two browsers at once): a server with a few
// cases in different states, every demo user's screens, and the checks made on each screen.
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe, readableProblems } from './helper.mjs';
import { navFor, linkOf } from '../../web/app/screens.js';

export const ids = {};

// Start the server and the browser and make the cases; returns { srv, browser }.
export async function setupScreens() {
  const srv = await startServer();
  const browser = await launch();
  // A few cases in different states and places, so lists, the map and the charts have content.
  const spots = [[30.18, 120.07], [30.19, 120.11], [30.215, 120.08], [30.21, 120.12], [30.185, 120.09], [30.205, 120.13]];
  const texts = ['小区门口垃圾堆积三天', '路灯不亮一周', '井盖松动有异响', '夜间施工噪音扰民', '占道经营影响通行', '绿化带树木倒伏'];
  const made = [];
  for (let i = 0; i < spots.length; i++) {
    const r = await srv.api(i % 2 ? 'operator' : 'citizen', 'POST', '/cases', { title: texts[i], description: texts[i] + '，请尽快处理',
      channel: i % 2 ? 'hotline' : 'web', lat: spots[i][0], lon: spots[i][1], urgency: i === 3 ? 'urgent' : undefined });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made.push(r.body);
  }
  const act = async (c, user, body) => {
    const r = await srv.api(user, 'POST', `/cases/${c.id}/actions`, { version: c.version, ...body });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    Object.assign(c, r.body);
  };
  for (const c of made.slice(0, 4)) await act(c, 'dispatcher', { action: 'dispatch', department: 2 });
  for (const c of made.slice(0, 3)) await act(c, 'handler_cgj', { action: 'sign' });
  await act(made[0], 'handler_cgj', { action: 'reply', result: '已清理完毕', contacted: true, solved: true });
  await act(made[1], 'handler_cgj', { action: 'extend', until: new Date(Date.now() + 10 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z'), reason: '需要协调供电公司' });
  // One case through the whole loop, so the rates and the ranking have something to show.
  await act(made[4], 'dispatcher', { action: 'dispatch', department: 2 });
  await act(made[4], 'handler_cgj', { action: 'sign' });
  await act(made[4], 'handler_cgj', { action: 'reply', result: '已恢复通行', contacted: true, solved: true });
  await act(made[4], 'citizen', { action: 'evaluate', satisfaction: 'satisfied', contacted: true, solved: true });
  // 申诉: the citizen appeals the closure, so the supervisors' queue shows a decision form.
  const ap = await srv.api('citizen', 'POST', `/cases/${made[4].id}/appeals`, { kind: 'closure', reason: 'not_solved', text: '摊位第二天又回来了' });
  assert.equal(ap.status, 201, JSON.stringify(ap.body));
  ids.appealed = made[4].id;         // citizen's, closed, appealed
  ids.citizenReplied = made[0].id;   // citizen's, replied: evaluate
  ids.dispatched = made[3].id;       // waiting for the department to sign
  ids.processing = made[2].id;       // citizen's, being handled
  ids.newCase = made[5].id;          // operator's, new: dispatch
  ids.extending = made[1].id;        // processing with an extension awaiting approval
  ids.gasDevice = (await srv.api('admin', 'GET', '/devices')).body.items.find((d) => d.code === 'DEMO-GAS-1').id;
  return { srv, browser };
}

// Each demo user's screens: every navigation entry the screen registry gives the user's role,
// plus the tabs and record pages listed here (a screen the navigation does not reach goes here).
const USERS = { citizen: 'citizen', grid_worker: 'grid_worker', operator: 'operator', dispatcher: 'dispatcher',
  handler_cgj: 'handler', supervisor: 'supervisor', data_officer: 'data_officer', admin: 'admin' };
const EXTRA = {
  citizen: [() => `/case/${ids.citizenReplied}`, () => `/case/${ids.appealed}`],
  operator: [() => `/case/${ids.newCase}`],
  dispatcher: ['/dispatch?tab=returned', '/dispatch?tab=reviewing', () => `/case/${ids.newCase}`],
  handler_cgj: ['/workbench?tab=to_handle', '/workbench?tab=overdue', () => `/case/${ids.dispatched}`, () => `/case/${ids.processing}`,
    () => `/case/${ids.processing}/slip`],
  supervisor: ['/supervise?tab=pending', '/supervise?tab=rectifying', () => `/case/${ids.extending}`],
  // A device's page (the demo's devices; the gas sensor's unit is %LEL).
  // ... and the catalogue's three lists and a dataset's page (the demo's population dataset).
  data_officer: [() => `/device/${ids.gasDevice}`, '/catalog/datasets', '/catalog/demand', '/catalog/responsibility', '/catalog/negative', '/dataset/1',
    '/grants/requests', '/grants/inbox', '/request-data'],
  admin: ['/admin/users', '/admin/departments', '/admin/categories', '/admin/routing', '/admin/regions', '/admin/calendar', '/admin/review', '/admin/register', '/admin/workers', '/admin/gridtasks', '/admin/risk'],
};
export const SCREENS = Object.fromEntries(Object.entries(USERS).map(([user, role]) => {
  const extra = EXTRA[user] || [];
  // '/admin' is '/admin/users' again: a nav entry that an extra path opens more precisely is left out.
  const nav = navFor({ roles: [role] }).map(linkOf).filter((p) => !extra.some((x) => typeof x === 'string' && x.startsWith(p + '/')));
  return [user, [...nav, ...extra]];
}));

export async function checkScreen(page, name) {
  const words = await readableProblems(page);
  assert.deepEqual(words, [], `${name}: English, raw keys or ids a person would read`);
  const bad = await axe(page);
  assert.deepEqual(bad, [], `${name}: axe serious/critical violations`);
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over <= 1, `${name}: ${over}px wider than the viewport`);
}

// Open every action form on the case page too, so the forms are checked as well.
export async function checkActionForms(page, name) {
  for (const a of await page.locator('.actions button[data-action]').evaluateAll((bs) => bs.map((b) => b.dataset.action))) {
    await page.locator(`.actions button[data-action="${a}"]`).click();
    await page.locator(`form[data-form="${a}"]`).waitFor();
    await page.waitForTimeout(100);
    await checkScreen(page, `${name} form ${a}`);
  }
}

// axe-core, the reading check and the width on every screen of these users, with a screenshot.
export async function checkUsersScreens(browser, srv, users) {
  for (const user of users) {
    const screens = SCREENS[user];
    const page = await loginPage(browser, srv, user);
    for (const s of screens) {
      const hash = typeof s === 'function' ? s() : s;
      await goto(page, srv, hash);
      if (hash === '/dashboard') await page.locator('.tile[data-kpi="today"]').waitFor();
      if (hash.startsWith('/report') || hash === '/intake') await page.locator('.leaflet-container').first().waitFor();
      await page.waitForTimeout(300);
      const name = `${user}${hash.replace(/[^\w]+/g, '-')}`;
      await checkScreen(page, name);
      await shot(page, `screen-${name}`);
      if (hash.startsWith('/case/')) await checkActionForms(page, name);
    }
    assert.deepEqual(page.errors, [], `${user}: script errors`);
  }
}

// Which users' screens each of the two files walks (about the same number of screens each).
export const FIRST_USERS = ['citizen', 'grid_worker', 'operator', 'dispatcher', 'handler_cgj'];
export const OTHER_USERS = Object.keys(SCREENS).filter((u) => !FIRST_USERS.includes(u));
