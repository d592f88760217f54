// Small DOM helpers: element building, labelled form fields, field-level error display.
import { t } from './i18n.js';

let idSeq = 0;
export const uid = (p = 'f') => `${p}-${++idSeq}`;

// h('button', {class: 'x', onclick}, 'text', child...) — attributes starting with "on" are
// listeners; false/null attributes are left out; arrays of children are flattened.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'html') el.innerHTML = v;
    else if (k in el && typeof v !== 'string' && k !== 'list') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A labelled control with its hint and an error slot. `names` are the API field names this
// control answers for (an error whose `field` is one of them is shown under it).
export function field(label, control, { hint, names = [], required } = {}) {
  const id = control.id || (control.id = uid());
  const errId = id + '-err';
  const hintId = hint ? id + '-hint' : null;
  control.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  if (required) control.required = true;
  if (!control.name && names[0]) control.name = names[0];
  const wrap = h('div', { class: 'field', 'data-fields': names.join(' ') },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    hint ? h('div', { class: 'hint', id: hintId }, hint) : null,
    control,
    h('div', { class: 'error', id: errId, role: 'alert', hidden: true }));
  return wrap;
}

// A group of checkboxes or radios in a fieldset with a legend (the accessible way to label a set).
export function choiceGroup(legend, type, name, options, { names = [name], checked = [] } = {}) {
  const errId = uid('err');
  const fs = h('fieldset', { class: 'field choices', 'data-fields': names.join(' '), 'aria-describedby': errId },
    h('legend', {}, legend),
    options.map(([value, text]) => {
      const id = uid();
      return h('span', { class: 'choice' },
        h('input', { type, name, id, value, checked: checked.includes(value) }),
        h('label', { for: id }, text));
    }),
    h('div', { class: 'error', id: errId, role: 'alert', hidden: true }));
  return fs;
}

export function checkbox(label, name, checked = false) {
  const id = uid();
  return h('div', { class: 'field check', 'data-fields': name },
    h('input', { type: 'checkbox', id, name, checked }),
    h('label', { for: id }, label),
    h('div', { class: 'error', role: 'alert', hidden: true }));
}

export function select(options, { value, name, multiple } = {}) {
  const s = h('select', { name, multiple });
  for (const o of options) {
    if (o.group) {
      s.append(h('optgroup', { label: o.group }, o.options.map((x) => h('option', { value: x[0] }, x[1]))));
    } else {
      s.append(h('option', { value: o[0] }, o[1]));
    }
  }
  if (value !== undefined && value !== null) s.value = String(value);
  return s;
}

// Show an ApiError: under the control whose data-fields names err.field, else at the form's top.
// Focus moves to the control so keyboard and screen-reader users land on the problem.
export function showError(form, err) {
  clearErrors(form);
  const msg = err.plain ? err.plain() : String(err.message || err);
  let slot = null;
  let ctl = null;
  if (err.field) {
    const base = String(err.field).split(/[.[]/)[0];
    for (const w of form.querySelectorAll('[data-fields]')) {
      const names = w.getAttribute('data-fields').split(' ');
      if (names.includes(err.field) || names.includes(base)) {
        slot = w.querySelector('.error');
        ctl = w.querySelector('input,select,textarea');
        break;
      }
    }
  }
  if (!slot) slot = form.querySelector('.form-error');
  if (!slot) {
    slot = h('div', { class: 'error form-error', role: 'alert' });
    form.prepend(slot);
  }
  slot.textContent = msg;
  slot.hidden = false;
  if (ctl) {
    ctl.setAttribute('aria-invalid', 'true');
    ctl.focus();
  }
  return msg;
}

export function clearErrors(form) {
  for (const e of form.querySelectorAll('.error')) { e.textContent = ''; e.hidden = true; }
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

// Announce a short status to screen readers and show it briefly.
export function toast(msg) {
  const live = document.getElementById('live');
  live.textContent = '';
  setTimeout(() => { live.textContent = msg; }, 30);
  const el = h('div', { class: 'toast' }, msg);
  document.body.append(el);
  setTimeout(() => el.remove(), 4000);
}

export function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s);
  if (isNaN(d)) return s;
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// `plain`: the citizen's words for where the case is (已受理 / 办理中 / 已答复 / 已办结 /
// 已合并处理), not the centre's internal steps (待派单, 待签收, 挂账 ...).
export function stateBadge(state, plain = false) {
  return h('span', { class: `badge st-${state}` }, t((plain ? 'cstate.' : 'state.') + state));
}

export function urgencyBadge(u) {
  return u && u !== 'normal' ? h('span', { class: `badge urg-${u}` }, t('urgency.' + u)) : null;
}

// Load a classic vendor script once (Leaflet, ECharts, the QR generator): only pages that
// draw maps or charts pay for them.
const loaded = new Map();
export function loadScript(src) {
  if (!loaded.has(src)) {
    loaded.set(src, new Promise((res, rej) => {
      const s = h('script', { src });
      s.onload = res;
      s.onerror = () => { loaded.delete(src); rej(new Error('load ' + src)); };
      document.head.append(s);
    }));
  }
  return loaded.get(src);
}
// Views are built before they are put in the page, and a chart or a map drawn into a box that
// is not laid out yet gets no size (an ECharts canvas of 0 x 0 stays hidden): wait until `el` is
// in the document with a width, at most ~200 frames.
export async function laidOut(el) {
  for (let i = 0; i < 200 && !(el.isConnected && el.clientWidth > 0); i++) {
    await new Promise((r) => requestAnimationFrame(r));
  }
}

export function loadCss(href) {
  if (!document.querySelector(`link[href="${href}"]`)) document.head.append(h('link', { rel: 'stylesheet', href }));
}

// The visible label of a control: its <label>, else its fieldset's legend.
function labelOf(form, c) {
  const label = c.id ? form.querySelector(`label[for="${c.id}"]`) : null;
  const legend = c.closest('fieldset') && c.closest('fieldset').querySelector('legend');
  const el = label || legend;
  return el ? el.firstChild.textContent.trim() : '';
}

// An input error on one control, shaped like the server's so showError puts it in place.
// A case list's total as shown: past the server's cap (total_capped) it is a lower bound,
// "10000+", since counting every match of a broad list would cost seconds.
export function listTotal(r) {
  return r.total_capped ? t('p.at_least', { n: r.total }) : String(r.total);
}

export const fieldError = (field, message) => Object.assign(new Error(message), { field, message });

// RFC 3339 with the browser's offset, from a datetime-local value.
export function localToRfc3339(v) {
  const d = new Date(v);
  if (isNaN(d)) return v;
  const off = -d.getTimezoneOffset();
  const p = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  return `${v.length === 16 ? v + ':00' : v}${off >= 0 ? '+' : '-'}${p(off / 60)}:${p(off % 60)}`;
}

// What one control (or the boxes sharing a name) holds, as the spec's type; '' or [] when empty.
function readControl(form, controls, f) {
  const c = controls[0];
  if (f.type === 'bool') return c.checked;
  // 是 / 否 radios: nothing chosen is empty, so a required question must be answered.
  if (f.type === 'yesno') {
    const v = (controls.find((x) => x.checked) || { value: '' }).value;
    return v === '' ? '' : v === 'true';
  }
  if (f.type === 'list') {
    let items;
    if (c.tagName === 'SELECT') items = [...c.selectedOptions].map((o) => o.value);
    else if (c.type === 'checkbox') items = controls.filter((x) => x.checked).map((x) => x.value);
    else items = c.value.split(/[,，\s]+/).filter(Boolean);
    return f.of === 'int' ? items.map((x) => toNumber(form, c, f, x, true)) : items;
  }
  let v = c.type === 'radio' ? (controls.find((x) => x.checked) || { value: '' }).value : c.value;
  if (f.trim !== false) v = v.trim();
  if (v === '') return '';
  if (f.type === 'int' || f.type === 'number') return toNumber(form, c, f, v, f.type === 'int');
  if (f.type === 'date') return c.type === 'datetime-local' ? localToRfc3339(v) : v;
  if (f.type === 'json') {
    try { return JSON.parse(v); } catch { throw fieldError(f.key || f.name, t('err.json', { label: labelOf(form, c) })); }
  }
  return v;
}

function toNumber(form, c, f, v, int) {
  const n = Number(v);
  if (Number.isNaN(n) || (int && !Number.isInteger(n))) {
    throw fieldError(f.key || f.name, t(int ? 'err.int' : 'err.number', { label: labelOf(form, c) }));
  }
  return n;
}

// The JSON body of an API call, read from a form by a spec (one entry per field):
//   name      the control's name (checkboxes or radios sharing it are read together)
//   key       the body's key when it differs from name; 'a.b' nests ({a: {b}}), as the API's field names do
//   type      'text' (default), 'int', 'number', 'bool' (a checkbox's state), 'yesno' (是/否 radios:
//             true, false, or empty when neither is chosen), 'list' (the ticked boxes,
//             the chosen options, or comma-separated text; of: 'int' makes the items numbers),
//             'date' (a date as typed; a datetime-local as RFC 3339 with the browser's offset), 'json'
//   trim      false keeps surrounding spaces (passwords); text is trimmed otherwise
//   required  an empty control throws an error on that field (showError puts it under the control)
//   empty     what an empty control (an unticked box for 'bool') gives: 'omit' leaves the key out
//             (the default; 'bool' sends false unless told), or a value such as null, '', [] or 0
// Controls inside a hidden part of the form count as empty.
export function formBody(form, spec) {
  const body = {};
  for (const f of spec) {
    const controls = [...form.elements].filter((e) => e.name === f.name);
    if (!controls.length) throw new Error(`formBody: no control named ${f.name}`);
    const hidden = controls[0].closest('[hidden]');
    const v = hidden ? (f.type === 'bool' ? false : '') : readControl(form, controls, f);
    const isEmpty = v === '' || (v === false && f.type !== 'yesno') || (Array.isArray(v) && !v.length);
    if (isEmpty && f.required) {
      throw fieldError(f.key || f.name, t('err.required', { label: labelOf(form, controls[0]) }));
    }
    const empty = 'empty' in f ? f.empty : f.type === 'bool' ? false : 'omit';
    if (isEmpty && empty === 'omit') continue;
    const path = (f.key || f.name).split('.');
    let at = body;
    for (const k of path.slice(0, -1)) at = at[k] || (at[k] = {});
    at[path[path.length - 1]] = isEmpty ? empty : v;
  }
  return body;
}
