// formBody (web/app/ui.js): the request body a form gives by its spec — types, trimming, empty
// controls left out or sent as told, nested keys, and errors on the field for a missing required
// value or a number that is not one. Runs in the browser, on the app's own module.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch } from './helper.mjs';

let srv;
let browser;
let page;
before(async () => {
  srv = await startServer();
  browser = await launch();
  page = await (await browser.newContext()).newPage();
  await page.goto(srv.url + '/#/login');
  await page.locator('main h1').waitFor();
});
after(async () => { await browser?.close(); await srv?.stop(); });

// Build a form from `html`, run formBody with `spec`, return the body or the error.
const run = (html, spec) => page.evaluate(async ({ html, spec }) => {
  const { formBody } = await import('/app/ui.js');
  const form = document.createElement('form');
  form.innerHTML = html;
  try { return { body: formBody(form, spec) }; } catch (e) { return { error: { field: e.field, message: e.message } }; }
}, { html, spec });

test('types: text trimmed, int, number, bool, list from boxes / options / text, date, json, nested keys', async () => {
  const r = await run(`
    <input name="a" value="  x  "><input name="pw" value=" p ">
    <input name="n" value="12"><input name="x" value="1.5">
    <input type="checkbox" name="yes" checked><input type="checkbox" name="no">
    <input type="checkbox" name="roles" value="r1" checked><input type="checkbox" name="roles" value="r2">
    <input type="checkbox" name="roles" value="r3" checked>
    <select name="deps" multiple><option value="1" selected>a</option><option value="2">b</option><option value="3" selected>c</option></select>
    <input name="ids" value="4, 5，6">
    <input type="date" name="day" value="2026-10-01">
    <textarea name="geo">{"type":"Point"}</textarea>
    <input name="cn" value="Zhang"><input name="cp" value="138">
    <input type="radio" name="sat" value="s1"><input type="radio" name="sat" value="s2" checked>`, [
    { name: 'a' }, { name: 'pw', trim: false }, { name: 'n', type: 'int' }, { name: 'x', type: 'number' },
    { name: 'yes', type: 'bool' }, { name: 'no', type: 'bool' }, { name: 'roles', type: 'list' },
    { name: 'deps', type: 'list', of: 'int' }, { name: 'ids', type: 'list', of: 'int' }, { name: 'day', type: 'date' },
    { name: 'geo', type: 'json' }, { name: 'cn', key: 'citizen.name' }, { name: 'cp', key: 'citizen.phone' }, { name: 'sat' }]);
  assert.deepEqual(r.body, { a: 'x', pw: ' p ', n: 12, x: 1.5, yes: true, no: false, roles: ['r1', 'r3'], deps: [1, 3],
    ids: [4, 5, 6], day: '2026-10-01', geo: { type: 'Point' }, citizen: { name: 'Zhang', phone: '138' }, sat: 's2' });
});

test('empty controls: omitted by default, or sent as the spec says; hidden ones count as empty', async () => {
  const r = await run(`
    <input name="a" value="  "><input name="b"><input name="c"><input name="d"><input name="e">
    <input type="checkbox" name="anon"><select name="m" multiple><option value="1">a</option></select>
    <div hidden><input name="h" value="set"></div><input name="cn">`, [
    { name: 'a' }, { name: 'b', empty: null }, { name: 'c', empty: '' }, { name: 'd', type: 'int', empty: 0 },
    { name: 'e', type: 'list', empty: [] }, { name: 'anon', type: 'bool', empty: 'omit' }, { name: 'm', type: 'list', of: 'int' },
    { name: 'h' }, { name: 'cn', key: 'citizen.name' }]);
  assert.deepEqual(r.body, { b: null, c: '', d: 0, e: [] });
});

test('errors name the field (the spec key) in words from the strings table', async () => {
  const label = (id, text) => `<label for="${id}">${text}</label>`;
  let r = await run(`${label('d', '问题描述')}<textarea id="d" name="description"> </textarea>`, [{ name: 'description', required: true }]);
  assert.deepEqual(r.error, { field: 'description', message: '请填写问题描述' });
  r = await run(`${label('p', '优先级')}<input id="p" name="priority" value="abc">`, [{ name: 'priority', type: 'int' }]);
  assert.deepEqual(r.error, { field: 'priority', message: '优先级须为整数' });
  r = await run(`${label('g', '边界')}<textarea id="g" name="boundary">{oops</textarea>`, [{ name: 'boundary', type: 'json' }]);
  assert.deepEqual(r.error, { field: 'boundary', message: '边界格式不正确' });
  r = await run(`<fieldset><legend>角色</legend><input type="checkbox" name="roles" value="a"></fieldset>`,
    [{ name: 'roles', type: 'list', required: true }]);
  assert.deepEqual(r.error, { field: 'roles', message: '请填写角色' });
  r = await run(`${label('n', '姓名')}<input id="n" name="nm">`, [{ name: 'nm', key: 'citizen.name', required: true }]);
  assert.equal(r.error.field, 'citizen.name');
});
