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

export function stateBadge(state) {
  return h('span', { class: `badge st-${state}` }, t('state.' + state));
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
export function loadCss(href) {
  if (!document.querySelector(`link[href="${href}"]`)) document.head.append(h('link', { rel: 'stylesheet', href }));
}

// Required controls left empty, reported like a server error on that field (the first one gets
// focus). Returns true when the form may be sent.
export function checkRequired(form) {
  for (const c of form.querySelectorAll('input[required],textarea[required],select[required]')) {
    if (c.closest('[hidden]')) continue;
    if (!String(c.value).trim()) {
      const w = c.closest('[data-fields]');
      const label = form.querySelector(`label[for="${c.id}"]`);
      showError(form, { field: w ? w.getAttribute('data-fields').split(' ')[0] : null,
        message: t('err.required', { label: label ? label.firstChild.textContent.trim() : '' }) });
      return false;
    }
  }
  return true;
}
