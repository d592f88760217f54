// 居民议事 and 积分 (issue 18 items 5 and 6): a resident, in elder mode, votes on a proposal of
// their community and redeems points; a supervisor changes a points rule. Each step is checked
// against the API, and each screen with axe-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
let proposal;
let item;
let adopted;
before(async () => {
  srv = await startServer();
  browser = await launch();
  const communities = (await srv.api('admin', 'GET', '/regions?level=community')).body.items;
  const users = (await srv.api('admin', 'GET', '/users')).body.items;
  const citizen = users.find((u) => u.name === 'citizen');
  const r = await srv.api('admin', 'PATCH', `/users/${citizen.id}`, { region: communities[0].code });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const p = await srv.api('citizen', 'POST', '/proposals', { region_id: communities[0].id, title: '小区加装电梯', body: '三号楼加装电梯，费用按楼层分摊。' });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  proposal = p.body;
  const closes = new Date(Date.now() + 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
  const v = await srv.api('supervisor', 'POST', `/proposals/${proposal.id}/poll`, { closes_at: closes, quorum_pct: 65, secret: true });
  assert.equal(v.status, 200, JSON.stringify(v.body));
  const rules = (await srv.api('citizen', 'GET', '/points-rules')).body.items;
  const vol = rules.find((x) => x.code === 'volunteering');
  const a = await srv.api('grid_worker', 'POST', '/points/awards', { user_id: citizen.id, rule_id: vol.id, note: '清扫楼道' });
  assert.equal(a.status, 200, JSON.stringify(a.body));
  const i = await srv.api('supervisor', 'POST', '/points-items', { name: '社区理发券', cost: 15, stock: 3 });
  assert.equal(i.status, 201, JSON.stringify(i.body));
  item = i.body;
  // A second proposal, voted and adopted, for the supervisor to track as a project.
  const q = await srv.api('citizen', 'POST', '/proposals', { region_id: communities[0].id, title: '修缮儿童游乐场', body: '更换破损的滑梯和地垫。' });
  const soon = new Date(Date.now() + 2000).toISOString().replace(/\.\d+Z$/, 'Z');
  assert.equal((await srv.api('supervisor', 'POST', `/proposals/${q.body.id}/poll`, { closes_at: soon, quorum_pct: 50 })).status, 200);
  assert.equal((await srv.api('citizen', 'POST', `/proposals/${q.body.id}/vote`, { choice: 'yes' })).status, 200);
  await new Promise((res) => setTimeout(res, Date.parse(soon) - Date.now() + 1100));
  const pub = await srv.api('supervisor', 'POST', `/proposals/${q.body.id}/publish`);
  assert.equal(pub.body.status, 'adopted', JSON.stringify(pub.body));
  adopted = q.body;
});
after(async () => { await browser?.close(); await srv?.stop(); });

test('a resident votes on a proposal and redeems points; a supervisor sets a rule', async () => {
  const p = await loginPage(browser, srv, 'citizen', { elder: true, viewport: { width: 390, height: 844 } });
  await goto(p, srv, '/proposals');
  const card = p.locator(`[data-proposal="${proposal.id}"]`);
  await card.locator('text=表决中').waitFor();
  await card.getByLabel('赞成').check();
  await card.getByRole('button', { name: '投票' }).click();
  await p.locator(`[data-proposal="${proposal.id}"]`).locator('text=您已投票，感谢参与。').waitFor();
  await p.locator(`[data-proposal="${proposal.id}"]`).locator('text=已有 1 人投票').waitFor();
  const mine = (await srv.api('citizen', 'GET', '/proposals')).body.items.find((x) => x.id === proposal.id);
  assert.equal(mine.voted, true);
  assert.equal(mine.poll.results, null, 'a secret poll shows no counts before it is published');
  assert.ok(await p.evaluate(() => document.documentElement.classList.contains('elder')));
  await shot(p, 'participate-1-voted');
  assert.deepEqual(await axe(p), []);

  await goto(p, srv, '/my-points');
  // 20 for the volunteering, 2 for each of the two votes (参与投票).
  await p.locator('.points-balance', { hasText: '当前积分：24' }).waitFor();
  await p.getByRole('button', { name: '兑换“社区理发券”' }).click();
  await p.locator('.points-balance', { hasText: '当前积分：9' }).waitFor();
  await p.locator('.points-entries td', { hasText: '兑换“社区理发券”' }).waitFor();
  await p.locator(`[data-item="${item.id}"]`, { hasText: '剩余 2 件' }).waitFor();
  // 9 points left cannot buy a 15-point item: the button is off, and the server would refuse.
  assert.equal(await p.getByRole('button', { name: '兑换“社区理发券”' }).isDisabled(), true);
  await shot(p, 'participate-2-points');
  assert.deepEqual(await axe(p), []);
  assert.deepEqual(p.errors, []);

  const s = await loginPage(browser, srv, 'supervisor');
  await goto(s, srv, '/points-rules');
  const vote = s.locator('[data-rule="vote"]');
  await vote.getByLabel('每次积分').fill('3');
  await vote.getByRole('button', { name: '保存' }).click();
  await s.locator('text=已保存“参与投票”').first().waitFor();
  const rule = (await srv.api('supervisor', 'GET', '/points-rules')).body.items.find((x) => x.code === 'vote');
  assert.equal(rule.points, 3);
  await s.locator('.points-items td', { hasText: '社区理发券' }).waitFor();
  assert.deepEqual(await axe(s), []);
  // The supervisor's 居民议事 shows the participation rate and the moderation forms.
  await goto(s, srv, '/proposals');
  await s.locator('.participation tr', { hasText: '100.0%' }).waitFor();
  await s.locator(`[data-proposal="${proposal.id}"]`).locator('summary', { hasText: '隐藏议题' }).waitFor();
  // The adopted proposal is tracked as a project.
  const tracking = s.locator(`[data-proposal="${adopted.id}"]`);
  await tracking.locator('summary', { hasText: '更新项目进展' }).click();
  await tracking.locator('select[name="status"]').selectOption('in_progress');
  await tracking.locator('input[name="note"]').fill('已选定施工单位');
  await tracking.getByRole('button', { name: '更新项目进展' }).click();
  await s.locator(`[data-proposal="${adopted.id}"] .project`, { hasText: '项目进展：实施中' }).waitFor();
  const tracked = (await srv.api('citizen', 'GET', '/proposals')).body.items.find((x) => x.id === adopted.id);
  assert.equal(tracked.project.status, 'in_progress');
  assert.equal(tracked.project.note, '已选定施工单位');
  assert.deepEqual(await axe(s), []);
  assert.deepEqual(s.errors, []);
});
