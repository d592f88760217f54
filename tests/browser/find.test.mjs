// Finding any case (issue 13): the operator types a caller's number and sees that caller's
// earlier cases with their states and the replies they got; every list says how many cases it
// holds, pages through them, finds a case by its number, filters by 诉求类型 and keeps a saved
// filter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, shot, goto, axe } from './helper.mjs';

let srv;
let browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await srv?.stop(); });

const PHONE = '13712345678';

async function create(body) {
  const r = await srv.api('operator', 'POST', '/cases', { channel: 'hotline', ...body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

test('the caller history appears as the number is typed, with states and replies', async () => {
  const first = await create({ title: '楼道灯坏了', description: '三单元楼道灯坏了一周', citizen: { name: '王阿姨', phone: PHONE } });
  const answered = await create({ title: '咨询医保', description: '新生儿医保在哪里办理', kind: 'consult',
    citizen: { name: '王阿姨', phone: '137-1234-5678' } });
  const ans = await srv.api('operator', 'POST', `/cases/${answered.id}/actions`,
    { action: 'answer', version: answered.version, note: '可到区政务服务中心医保窗口办理' });
  assert.equal(ans.status, 200, JSON.stringify(ans.body));
  await create({ title: '别人的事', description: '无关来电', citizen: { name: '李四', phone: '13700000000' } });

  const op = await loginPage(browser, srv, 'operator');
  await goto(op, srv, '/intake');
  await op.waitForFunction(() => document.activeElement && document.activeElement.name === 'phone');
  await op.keyboard.type('137 1234 5678');
  const panel = op.locator('.caller-history');
  await panel.locator('li').first().waitFor();
  assert.match(await panel.textContent(), /该号码共有 2 件工单/);
  const items = panel.locator('li');
  assert.equal(await items.count(), 2);
  // Newest first: the consultation with its answer, then the open case.
  assert.equal(Number(await items.nth(0).getAttribute('data-case')), answered.id);
  assert.match(await items.nth(0).textContent(), /已办结/);
  assert.match(await items.nth(0).textContent(), /咨询/);
  assert.match(await items.nth(0).textContent(), /答复：可到区政务服务中心医保窗口办理/);
  assert.equal(Number(await items.nth(1).getAttribute('data-case')), first.id);
  assert.match(await items.nth(1).textContent(), /尚未答复/);
  // The clear number never reaches the page from the list: only what the operator typed.
  assert.doesNotMatch(await panel.textContent(), /13712345678/);
  await shot(op, 'find-1-caller-history');
  assert.deepEqual(await axe(op), []);
  assert.deepEqual(op.errors, []);
});

test('a list says how many it holds, pages, and finds a case by its number', async () => {
  for (let i = 0; i < 52; i++) await create({ title: `分页工单 ${i}`, description: '分页测试' });
  const sup = await loginPage(browser, srv, 'supervisor');
  await goto(sup, srv, '/cases');
  const status = sup.locator('.list-status');
  await status.waitFor();
  const all = await srv.api('supervisor', 'GET', '/cases?limit=1');
  assert.ok(all.body.total > 50, `the demo holds more than a page (${all.body.total})`);
  assert.equal(await status.textContent(), `第 1–50 件，共 ${all.body.total} 件`);
  await sup.getByRole('button', { name: '下一页' }).click();
  await sup.waitForFunction(() => /^第 51–/.test(document.querySelector('.list-status').textContent));
  const firstOfPage2 = await sup.locator('tbody tr').first().getAttribute('data-case');
  const page1 = (await srv.api('supervisor', 'GET', '/cases?limit=50')).body.items.map((c) => String(c.id));
  assert.ok(!page1.includes(firstOfPage2), 'page two starts after page one');

  // By number.
  const target = (await srv.api('supervisor', 'GET', '/cases?limit=1')).body.items[0];
  await sup.getByLabel('查找工单').fill(target.number);
  await sup.getByRole('button', { name: '查找', exact: true }).click();
  await sup.waitForFunction(() => document.querySelector('.list-status').textContent === '第 1–1 件，共 1 件');
  assert.equal(await sup.locator('tbody tr').first().getAttribute('data-case'), String(target.id));
  assert.deepEqual(sup.errors, []);
});

test('filters by 诉求类型 and keeps a saved filter', async () => {
  const consults = (await srv.api('dispatcher', 'GET', '/cases?kind=consult&limit=1')).body.total;
  assert.ok(consults >= 1);
  const d = await loginPage(browser, srv, 'dispatcher');
  await goto(d, srv, '/cases');
  await d.locator('.filters summary').click();
  await d.getByLabel('诉求类型').selectOption('consult');
  await d.getByRole('button', { name: '查找', exact: true }).click();
  await d.waitForFunction((n) => document.querySelector('.list-status').textContent.endsWith(`共 ${n} 件`), consults);
  await d.getByLabel('条件名称').fill('咨询类');
  await d.getByRole('button', { name: '保存当前条件' }).click();
  await d.locator('.saved-filters .chips button', { hasText: '咨询类' }).waitFor();
  const saved = (await srv.api('dispatcher', 'GET', '/me/filters')).body.items;
  assert.deepEqual(saved.map((f) => [f.name, f.query.kind]), [['咨询类', 'consult']]);
  // Cleared, then picked again from the saved list.
  await d.getByRole('button', { name: '清除条件' }).click();
  await d.waitForFunction((n) => !document.querySelector('.list-status').textContent.endsWith(`共 ${n} 件`), consults);
  await d.locator('.saved-filters .chips button', { hasText: '咨询类' }).click();
  await d.waitForFunction((n) => document.querySelector('.list-status').textContent.endsWith(`共 ${n} 件`), consults);
  assert.equal(await d.getByLabel('诉求类型').inputValue(), 'consult');
  // Tabs count their cases.
  await goto(d, srv, '/dispatch');
  const tab = d.locator('.tabs a', { hasText: '待派单' });
  await d.waitForFunction(() => /（\d+）/.test(document.querySelector('.tabs a').textContent));
  const n = (await srv.api('dispatcher', 'GET', '/cases?queue=to_dispatch&limit=1')).body.total;
  assert.match(await tab.textContent(), new RegExp(`（${n}）`));
  await shot(d, 'find-2-filters');
  assert.deepEqual(await axe(d), []);
  assert.deepEqual(d.errors, []);
});

test('a total past the server\'s cap shows as at least the cap', async () => {
  // A server that counts a list's total up to 10 only (list_total_cap; 10,000 by default).
  const small = await startServer(['--list-total-cap', '10']);
  try {
    for (let i = 0; i < 12; i++) {
      const r = await small.api('operator', 'POST', '/cases', { channel: 'hotline', title: `上限工单 ${i}`, description: '计数上限' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const all = await small.api('supervisor', 'GET', '/cases?limit=1');
    assert.deepEqual([all.body.total, all.body.total_capped], [10, true]);
    const sup = await loginPage(browser, small, 'supervisor');
    await goto(sup, small, '/cases');
    await sup.waitForFunction(() => /共 10\+ 件$/.test(document.querySelector('.list-status')?.textContent || ''));
    // Under the cap the count is exact.
    await sup.getByLabel('查找工单').fill('上限工单 1');
    await sup.getByRole('button', { name: '查找', exact: true }).click();
    await sup.waitForFunction(() => /共 \d+ 件$/.test(document.querySelector('.list-status').textContent));
    const few = await small.api('supervisor', 'GET', `/cases?q=${encodeURIComponent('上限工单 1')}&limit=1`);
    assert.equal(few.body.total_capped, false);
    assert.equal(await sup.locator('.list-status').textContent(), `第 1–${few.body.total} 件，共 ${few.body.total} 件`);
    assert.deepEqual(sup.errors, []);
    // A tab's count too.
    const d = await loginPage(browser, small, 'dispatcher');
    await goto(d, small, '/dispatch');
    const tab = d.locator('.tabs a', { hasText: '待派单' });
    await d.waitForFunction(() => /（\d+\+?）/.test(document.querySelector('.tabs a').textContent));
    assert.match(await tab.textContent(), /（10\+）/);
    assert.deepEqual(d.errors, []);
  } finally {
    await small.stop();
  }
});

test('a two-character search the server reads in short steps still fills the list', async () => {
  // Windows of one case and a budget of 1 ms: the server stops most pages of a two-character
  // text early (searched_to) and the list reads on by itself.
  const slow = await startServer(['--list-scan-window', '1', '--list-scan-ms', '1']);
  try {
    const want = [];
    for (let i = 0; i < 12; i++) {
      const r = await slow.api('operator', 'POST', '/cases', { channel: 'hotline', title: i % 4 === 0 ? `蜻蜓停在栏杆 ${i}` : `分步工单 ${i}`, description: '分步查找' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      if (i % 4 === 0) want.unshift(String(r.body.id));
    }
    const sup = await loginPage(browser, slow, 'supervisor');
    await goto(sup, slow, '/cases');
    await sup.locator('.list-status').waitFor();
    await sup.getByLabel('查找工单').fill('蜻蜓');
    await sup.getByRole('button', { name: '查找', exact: true }).click();
    await sup.waitForFunction(() => /^第 1–3 件/.test(document.querySelector('.list-status').textContent));
    const rows = await sup.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-case')));
    assert.deepEqual(rows, want);
    assert.deepEqual(sup.errors, []);
  } finally {
    await slow.stop();
  }
});
