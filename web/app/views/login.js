import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, field, showError, clearErrors, formBody } from '../ui.js';
import { session } from '../session.js';

// The demo database's accounts (gridloop init --demo).
const DEMO_USERS = ['admin', 'operator', 'dispatcher', 'handler_cgj', 'handler_qsjd', 'grid_worker', 'supervisor', 'data_officer', 'citizen'];

const FIELDS = [{ name: 'name', required: true }, { name: 'password', trim: false, required: true }];

export async function login({ query, title, go }) {
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'username', autocapitalize: 'off' });
  const pw = h('input', { type: 'password', name: 'password', autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const form = h('form', { class: 'form narrow', novalidate: true },
    field(t('login.name'), name, { names: ['name'], required: true }),
    field(t('login.password'), pw, { names: ['password'], required: true }),
    h('div', { class: 'buttons' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    let body;
    try { body = formBody(form, FIELDS); } catch (e) { showError(form, e); return; }
    submit.disabled = true;
    try {
      session.user = await api.login(body.name, body.password);
      const next = query.get('next');
      go(next && next !== '/login' ? next : '/');
    } catch (e) {
      submit.disabled = false;
      // A refused sign-in is a wrong name or password, not an expired session.
      showError(form, e.status === 401 ? { field: 'password', plain: () => t('login.failed') } : e);
    }
  });
  return h('div', { class: 'login' },
    h('h1', {}, title), form,
    h('p', {}, h('a', { href: '#/signin' }, t('login.sms'))),
    h('p', {}, h('a', { href: '#/lookup' }, t('login.lookup'))),
    h('p', {}, h('a', { href: '#/decisions' }, t('decisions.link'))),
    // Account names are what one types, not words to translate (translate="no").
    h('p', { class: 'muted secondary-info' }, t('login.demo'),
      h('span', { translate: 'no' }, DEMO_USERS.join(t('p.list'))), t('p.semi'), t('login.demo.pw'), ' ',
      h('code', { translate: 'no' }, 'demo')));
}
