// 公开征求意见 and the dashboard's 各社区参与率 (issue 18 item 5): a resident on a phone, in elder
// mode, comments on a consultation of their community; after the close a supervisor answers the
// comment and publishes the summary; the resident, and someone not signed in, read the summary
// with the answer. A supervisor opens a consultation on a draft policy from the form, and reads
// the participation rate per community on the dashboard. Each step is checked against the API,
// each screen with axe-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
let community;
let consult;
let masked;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

before(async () => {
  srv = await startServer();
  browser = await launch();
  community = (await srv.api('admin', 'GET', '/regions?level=community')).body.items[0];
  const users = (await srv.api('admin', 'GET', '/users')).body.items;
  const citizen = users.find((u) => u.name === 'citizen');
  masked = `${[...(citizen.display_name || citizen.name)][0]}*`;
  const r = await srv.api('admin', 'PATCH', `/users/${citizen.id}`, { region: community.code });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  // A vote, so the community's rate on the dashboard is not zero.
  const p = await srv.api('citizen', 'POST', '/proposals', { region_id: community.id, title: '增设充电桩', body: '在小区东门增设电动自行车充电桩。' });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  assert.equal((await srv.api('supervisor', 'POST', `/proposals/${p.body.id}/poll`, { closes_at: iso(Date.now() + 3600e3), quorum_pct: 50 })).status, 200);
  assert.equal((await srv.api('citizen', 'POST', `/proposals/${p.body.id}/vote`, { choice: 'yes' })).status, 200);
  // Open long enough for the resident to comment through the page, then it closes.
  const k = await srv.api('supervisor', 'POST', '/consultations', { title: '社区养犬公约（征求意见稿）',
    body: '第一条 遛狗须牵绳。第二条 犬只粪便由主人及时清理。', region_id: community.id, closes_at: iso(Date.now() + 25e3) });
  assert.equal(k.status, 201, JSON.stringify(k.body));
  consult = k.body;
});
after(async () => { await browser?.close(); await srv?.stop(); });

test('a resident comments, a supervisor answers and publishes, everyone reads the feedback', async () => {
  const p = await loginPage(browser, srv, 'citizen', { elder: true, viewport: { width: 390, height: 844 } });
  await goto(p, srv, '/consultations');
  const card = p.locator(`[data-consultation="${consult.id}"]`);
  await card.locator('text=征求中').waitFor();
  await card.getByRole('link', { name: consult.title }).click();
  await p.locator('.draft', { hasText: '遛狗须牵绳' }).waitFor();
  await p.getByLabel('您的意见').fill('建议规定晚上十点后禁止在楼道遛狗。');
  await p.getByRole('button', { name: '提交意见' }).click();
  await p.locator('.consult-comment', { hasText: '晚上十点后' }).locator('text=我的意见').waitFor();
  const after1 = (await srv.api('citizen', 'GET', `/consultations/${consult.id}`)).body;
  assert.equal(after1.comments.length, 1);
  assert.equal(after1.comments[0].author, masked, 'the name is masked');
  // An empty comment is refused on the field, and nothing is written.
  await p.getByRole('button', { name: '提交意见' }).click();
  await p.locator('[aria-invalid="true"]').waitFor();
  assert.equal((await srv.api('citizen', 'GET', `/consultations/${consult.id}`)).body.comments.length, 1);
  assert.ok(await p.evaluate(() => document.documentElement.classList.contains('elder')));
  await shot(p, 'consult-1-commented');
  assert.deepEqual(await axe(p), []);

  const s = await loginPage(browser, srv, 'supervisor');
  await goto(s, srv, `/consultation/${consult.id}`);
  await s.locator('text=征求期截止后才能答复意见和发布采纳情况。').waitFor();
  await new Promise((res) => setTimeout(res, Date.parse(consult.closes_at) - Date.now() + 1100));
  // The same address again does not change the hash: reload to draw the closed consultation.
  await s.reload();
  await s.locator('main .consult-comment').waitFor();
  // Publishing before the comment is answered is refused, naming what is missing.
  await s.getByLabel('采纳情况说明').fill('共收到意见 1 条，采纳 1 条。');
  await s.getByRole('button', { name: '发布采纳情况' }).click();
  await s.locator('text=还有意见没有答复，请逐条答复后再发布采纳情况。').waitFor();
  const answer = s.locator(`form[data-comment="${after1.comments[0].id}"]`);
  await answer.getByLabel('是否采纳').selectOption('adopted');
  await answer.getByLabel('理由').fill('已写入第三条：晚十点至早七点不得在楼道遛狗');
  await answer.getByRole('button', { name: '保存答复' }).click();
  await s.locator('.consult-comment[data-answer="adopted"]').waitFor();
  await s.getByLabel('采纳情况说明').fill('共收到意见 1 条，采纳 1 条：增加夜间遛狗的规定。');
  await s.getByRole('button', { name: '发布采纳情况' }).click();
  await s.locator('.consult-summary', { hasText: '增加夜间遛狗的规定' }).waitFor();
  const pub = (await srv.api('supervisor', 'GET', `/consultations/${consult.id}`)).body;
  assert.equal(pub.status, 'published');
  assert.equal(pub.comments[0].answer.result, 'adopted');
  assert.deepEqual(await axe(s), []);
  assert.deepEqual(s.errors, []);

  // The resident reads the feedback; so does someone without an account.
  await p.reload();
  await p.locator('.consult-summary', { hasText: '增加夜间遛狗的规定' }).waitFor();
  await p.locator('.consult-answer', { hasText: '已写入第三条' }).locator('text=采纳').first().waitFor();
  await shot(p, 'consult-2-feedback');
  assert.deepEqual(await axe(p), []);
  assert.deepEqual(p.errors, []);
  const anon = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
  await goto(anon, srv, `/consultation/${consult.id}`);
  await anon.locator('.consult-answer', { hasText: '已写入第三条' }).waitFor();
  assert.equal(await anon.locator('form').count(), 0, 'no forms without an account');
  assert.deepEqual(await axe(anon), []);
});

test('a supervisor opens a consultation on a draft policy; the dashboard shows the participation rate', async () => {
  const pol = await srv.api('admin', 'POST', '/policies', { name: '高龄津贴办法', summary: '征求意见稿：80 周岁以上每月 200 元。', subject: 'person',
    rule: { all: [{ field: 'age', op: '>=', value: 80 }] }, amount: 200, period: 'month' });
  assert.equal(pol.status, 201, JSON.stringify(pol.body));
  const s = await loginPage(browser, srv, 'supervisor');
  await goto(s, srv, '/consultations');
  await s.locator('summary', { hasText: '发起征求意见' }).click();
  await s.getByLabel('政策草案').selectOption(String(pol.body.id));
  // The draft's own title and text are the policy's: those fields are not asked for.
  assert.equal(await s.locator('input[name="title"]').isVisible(), false);
  await s.getByLabel('征求范围').selectOption(String(community.id));
  await s.getByRole('button', { name: '发起', exact: true }).click();
  await s.locator('.draft', { hasText: '80 周岁以上每月 200 元' }).waitFor();
  const made = (await srv.api('supervisor', 'GET', '/consultations')).body.items.find((x) => x.policy_id === pol.body.id);
  assert.ok(made, 'the consultation exists');
  assert.equal(made.title, '高龄津贴办法');
  assert.equal(made.region_id, community.id);
  assert.equal(made.status, 'open');
  assert.deepEqual(await axe(s), []);

  await goto(s, srv, '/dashboard');
  const panel = s.locator('.dash-participation');
  const row = panel.locator(`tr[data-region="${community.code}"]`);
  await row.waitFor();
  const rates = (await srv.api('supervisor', 'GET', '/participation')).body.items.filter((x) => x.residents > 0);
  const mine = rates.find((x) => x.region === community.code);
  assert.ok(mine.voters >= 1, JSON.stringify(mine));
  await row.locator(`text=${mine.rate_pct.toFixed(1)}%`).waitFor();
  assert.equal(await row.locator('td').nth(1).textContent(), String(mine.residents));
  // Lowest rate first.
  const shown = (await panel.locator('tbody tr').evaluateAll((rs) => rs.map((r) => Number(r.dataset.rate))));
  assert.deepEqual(shown, [...shown].sort((a, b) => a - b));
  assert.deepEqual(await axe(s), []);
  assert.deepEqual(s.errors, []);
  // A dispatcher's dashboard has no such panel: the server refuses them the figures.
  const d = await loginPage(browser, srv, 'dispatcher');
  await goto(d, srv, '/dashboard');
  await d.locator('.tiles .tile').first().waitFor();
  await d.waitForTimeout(500);
  assert.equal(await d.locator('.dash-participation').isVisible(), false);
});
