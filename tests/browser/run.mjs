// `make browser`: every *.test.mjs here through Node's test runner, BROWSER_JOBS files at a time
// (each file its own process, server and browser, as `node --test` runs them), with two changes
// that only save time:
// - the slowest files go first. `node --test FILES` sorts the files by name whatever order they are
//   given in, so screens.test.mjs and screens-roles.test.mjs (the two longest, 2-4 min each) began
//   three quarters into the run and set its end; run() takes them in the order given;
// - one demo database per distinct `gridloop init` arguments for the whole run, copied for each
//   server (GRIDLOOP_BROWSER_TEMPLATES, helper.mjs newDemoDb), in a directory removed at the end.
// Output: TAP, as `node --test` writes when not on a terminal; exit 1 if anything failed.
import { run } from 'node:test';
import { tap } from 'node:test/reporters';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

// Longest first, by wall time measured on 2026-12-06 (two at a time, load ~8): screens 234 s,
// screens-roles 187, reports 93, loop 76, consult 73, find 70, ladder 63, dispatch 61, maps 58,
// whistle 57, intake 52, warnings 52, review 51, devices 51, workermap 49, district 48; the
// remaining 27 files 1-44 s follow by name. A file missing here only runs later, not never.
const SLOWEST_FIRST = ['screens', 'screens-roles', 'reports', 'loop', 'consult', 'find', 'ladder', 'dispatch', 'maps',
  'whistle', 'intake', 'warnings', 'review', 'devices', 'workermap', 'district'].map((n) => n + '.test.mjs');

const all = readdirSync(HERE).filter((f) => f.endsWith('.test.mjs')).sort();
for (const f of SLOWEST_FIRST) if (!all.includes(f)) throw new Error(`run.mjs: SLOWEST_FIRST names ${f}, which is gone`);
// Names on the command line (`node tests/browser/run.mjs signin.test.mjs ...`): only those.
const only = process.argv.slice(2).map((a) => a.replace(/^.*\//, ''));
for (const f of only) if (!all.includes(f)) throw new Error(`run.mjs: no test file ${f}`);
const files = [...SLOWEST_FIRST, ...all.filter((f) => !SLOWEST_FIRST.includes(f))]
  .filter((f) => !only.length || only.includes(f)).map((f) => join(HERE, f));

const templates = mkdtempSync(join(tmpdir(), 'gl-browser-templates-'));
process.env.GRIDLOOP_BROWSER_TEMPLATES = templates;
const cleanUp = () => rmSync(templates, { recursive: true, force: true });
process.on('exit', cleanUp);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const concurrency = Number(process.env.BROWSER_JOBS || 2);
const stream = run({ files, concurrency });
// A failing test, hook or file fails the run (a todo test's failure does not, as with node --test).
stream.on('test:fail', (d) => { if (!d.todo) process.exitCode = 1; });
stream.compose(tap).pipe(process.stdout);
