// What the admin tabs share: a create/edit form that sends and redraws, and a plain table.
import { t } from '../../i18n.js';
import { h, showError, clearErrors, toast } from '../../ui.js';

// A form with a heading, the controls and a save button; `send(form)` performs the request
// (errors, from the server or from formBody, are shown under their field), then the tab reloads.
export function apiForm(heading, controls, send, reload) {
  const form = h('form', { class: 'form card', novalidate: true }, h('h2', {}, heading), controls,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('app.save'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try { await send(form); toast(t('app.saved')); await reload(); } catch (e) { showError(form, e); }
  });
  return form;
}

// A code or identifier in a table (a department's code, a region's administrative code): shown as
// typed, not a word to translate.
export function code(text) { return h('code', { translate: 'no' }, text); }

export function table(caption, cols, rows) {
  if (!rows.length) return h('p', { class: 'empty' }, t('app.none'));
  return h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

// A small button in a table row that runs `act` and reloads the tab; a failure is a toast.
export function rowButton(label, ariaLabel, act, reload) {
  return h('button', { type: 'button', class: 'small', 'aria-label': ariaLabel, onclick: async () => {
    try { await act(); await reload(); } catch (e) { toast(e.plain()); }
  } }, label);
}
