// The live event stream in the browser (issue 11, items 2 and 9): a stream the server ends (its
// maximum life) comes back by itself, and a stream the server refuses (429: the user has too
// many open) is retried with a growing delay, not in a storm, and opens once a place is free.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, loginPage, goto, PASSWORD } from './helper.mjs';

const servers = [];
let browser;
after(async () => {
  if (browser) await browser.close();
  for (const s of servers) await s.stop();
});

async function setup(args) {
  const srv = await startServer(args);
  servers.push(srv);
  if (!browser) browser = await launch();
  return srv;
}

test('dashboard: a stream past its maximum life ends and reconnects by itself', async () => {
  const srv = await setup(['--stream-max-life', '2']);
  const page = await loginPage(browser, srv, 'supervisor');
  await goto(page, srv, '/dashboard');
  const state = page.locator('.stream-state');
  await page.locator('.stream-state[data-stream="open"]').waitFor({ timeout: 10000 });
  await page.locator('.stream-state[data-stream="closed"]').waitFor({ timeout: 10000 });
  await page.locator('.stream-state[data-stream="open"]').waitFor({ timeout: 10000 });
  assert.match(await state.textContent(), /实时连接正常/);
  assert.deepEqual(page.errors, []);
});

test('dashboard: a refused stream is retried with backoff and opens when a place frees', async () => {
  const srv = await setup(['--stream-max-per-user', '1']);
  // Another session of the same user holds the user's only stream.
  const login = await fetch(srv.url + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'supervisor', password: PASSWORD }) });
  const { token } = await login.json();
  const ac = new AbortController();
  const held = await fetch(srv.url + '/api/v1/events/stream', { headers: { Authorization: `Bearer ${token}` }, signal: ac.signal });
  assert.equal(held.status, 200);
  try {
    const page = await loginPage(browser, srv, 'supervisor');
    const statuses = [];
    page.on('response', (r) => { if (new URL(r.url()).pathname === '/api/v1/events/stream') statuses.push(r.status()); });
    await goto(page, srv, '/dashboard');
    await page.locator('.stream-state[data-stream="closed"]').waitFor({ timeout: 10000 });
    await page.waitForTimeout(6000);
    assert.ok(statuses.length >= 1 && statuses.every((s) => s === 429), JSON.stringify(statuses));
    assert.ok(statuses.length <= 3, `refused streams are retried with a growing delay, not at once: ${statuses.length} tries in 6 s`);
    // The held session logs out: its stream ends at once and the dashboard's next try opens.
    const out = await fetch(srv.url + '/api/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    assert.equal(out.status, 204);
    await page.locator('.stream-state[data-stream="open"]').waitFor({ timeout: 25000 });
    assert.deepEqual(page.errors, []);
  } finally {
    ac.abort();
  }
});
