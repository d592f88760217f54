// Every string in one place: each t('key') the app uses exists in the zh-CN table, and no
// Chinese text is written anywhere else in the app's code (comments aside), so adding a language
// means adding one table. Runs without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helper.mjs';
import { zhCN } from '../../web/app/strings.js';
import { SCREENS, knownRoles } from '../../web/app/screens.js';

const APP = join(ROOT, 'web', 'app');
// Every module under web/app, subdirectories included (views/admin/ holds the admin tabs).
const files = readdirSync(APP, { recursive: true }).filter((f) => f.endsWith('.js') && !f.endsWith('strings.js'))
  .map((f) => join(APP, f));

// Strip comments so a Chinese comment is not mistaken for UI text.
const code = (f) => readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

test('every t() key used by the app is in the strings table', () => {
  const missing = [];
  let used = 0;
  for (const f of files) {
    for (const m of code(f).matchAll(/\bt\('([\w.]+)'\s*[,)]/g)) {
      used++;
      if (!(m[1] in zhCN)) missing.push(`${f}: ${m[1]}`);
    }
  }
  assert.ok(used > 100, `found ${used} uses`);
  assert.deepEqual(missing, []);
});

test('keys built at run time (states, actions, roles, channels) are all in the table', () => {
  const states = ['new', 'dispatched', 'returned', 'processing', 'hanging', 'replied', 'rectifying', 'closed', 'cancelled', 'merged', 'reviewing'];
  const actions = ['answer', 'dispatch', 'redispatch', 'reject_return', 'sign', 'return', 'extend', 'hang', 'approve', 'deny',
    'resume', 'urge', 'reply', 'evaluate', 'rectify', 'merge', 'close', 'cancel', 'reopen', 'comment', 'create', 'attach', 'invalidate', 'withdraw', 'merge_in', 'escalate', 'triage', 'locate',
    'accept', 'send_back', 'assign', 'appeal', 'appeal_upheld', 'appeal_rejected', 'unmerge'];
  const roles = ['citizen', 'operator', 'dispatcher', 'handler', 'grid_worker', 'supervisor', 'data_officer', 'admin'];
  const channels = ['hotline', 'web', 'app', 'wechat', 'grid', 'sensor', 'open311', 'other'];
  const keys = [...states.map((s) => 'state.' + s), ...actions.map((a) => 'action.' + a), ...roles.map((r) => 'role.' + r),
    ...channels.map((c) => 'channel.' + c), 'urgency.normal', 'urgency.urgent', 'urgency.emergency',
    'sat.satisfied', 'sat.basically_satisfied', 'sat.unsatisfied'];
  assert.deepEqual(keys.filter((k) => !(k in zhCN)), []);
});

test('the screen registry: its keys are in the table, every screen is reachable, every role has a home', () => {
  const keys = SCREENS.flatMap((s) => [s.title, s.nav].filter(Boolean));
  assert.deepEqual(keys.filter((k) => !(k in zhCN)), []);
  for (const s of SCREENS) {
    assert.ok(files.some((f) => f.endsWith(join('views', s.module + '.js'))), `${s.path}: views/${s.module}.js exists`);
    assert.match(readFileSync(join(APP, 'views', s.module + '.js'), 'utf8'), new RegExp(`export (async function|const) ${s.view}\\b`),
      `${s.path}: views/${s.module}.js exports ${s.view}`);
    assert.ok(s.public || s.nav || s.path.includes('{'), `${s.path}: reachable from the navigation or a link`);
  }
  assert.equal(new Set(SCREENS.map((s) => s.path)).size, SCREENS.length, 'paths are unique');
  assert.deepEqual(knownRoles().filter((r) => !(('role.' + r) in zhCN)), []);
  for (const r of knownRoles()) assert.ok(SCREENS.some((s) => s.nav && s.roles.includes(r)), `${r}: a home screen`);
});

test('no Chinese text outside the strings table', () => {
  const found = [];
  for (const f of files) {
    code(f).split('\n').forEach((line, i) => {
      // The one exception: parsing input that may use a full-width comma.
      if (/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/.test(line) && !line.includes('split(/[,，')) found.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});

// The server's errors reach people only through the strings table (web/app/api.js, plain()):
// every error code the server has (src/core/err.h) has its sentence, and every field an error may
// name (err_field() in the modules behind the API, and the members of the API's JSON field
// tables) has a name people read. A new code or field without one fails here.
test('every server error code and every field an error names is translated', () => {
  const errh = readFileSync(join(ROOT, 'src', 'core', 'err.h'), 'utf8');
  const codes = [...errh.matchAll(/X\(\w+,\s*-\d+,\s*\d+,\s*"(\w+)"/g)].map((m) => m[1]);
  assert.ok(codes.length >= 15, `found ${codes.length} codes`);
  const missing = codes.filter((c) => !(('err.' + c) in zhCN));
  // And every reason a refusal gives (ERR_REASON_*) its own sentence.
  const reasons = [...errh.matchAll(/#define ERR_REASON_\w+ "(\w+)"/g)].map((m) => m[1]);
  assert.ok(reasons.length >= 5, `found ${reasons.length} reasons`);
  missing.push(...reasons.filter((r) => !(('err.forbidden.' + r) in zhCN)).map((r) => 'reason ' + r));
  const fields = new Set();
  const SRC = join(ROOT, 'src');
  for (const dir of ['api', 'case', 'org', 'auth', 'assess', 'attach', 'open311', 'triage', 'notify', 'cal', 'geo', 'audit', 'basemap', 'addr', 'gridw', 'sensor', 'warning', 'risk', 'opindex', 'patrol', 'catalog']) {
    for (const f of readdirSync(join(SRC, dir)).filter((x) => x.endsWith('.c'))) {
      const text = readFileSync(join(SRC, dir, f), 'utf8');
      for (const m of text.matchAll(/err_field\(\s*[^,]+,\s*[A-Z_]+,\s*"([^"]+)"/g)) fields.add(m[1]);
      if (dir === 'api') for (const m of text.matchAll(/^\s*\{"([a-z_0-9]+)",\s*JT_/gm)) fields.add(m[1]);
    }
  }
  assert.ok(fields.size > 80, `found ${fields.size} fields`);
  for (const f of fields) {
    const name = f.replace(/\[\d+\]/g, '').split('.').pop();
    if (!(('fieldname.' + name) in zhCN) && !(('field.' + name) in zhCN)) missing.push('field ' + f);
  }
  assert.deepEqual(missing, []);
});
