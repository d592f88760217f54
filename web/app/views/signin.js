import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, field, showError, clearErrors, formBody } from '../ui.js';
import { session } from '../session.js';

// Citizens sign up and sign in in one step: a code sent by SMS to their mobile number
// (docs/citizens.md). The server answers the same whether or not the number has an account.
const CODE_FIELDS = [{ name: 'phone', required: true }];
const FIELDS = [{ name: 'phone', required: true }, { name: 'code', required: true }];

export async function signin({ query, title, go, onCleanup }) {
  const phone = h('input', { type: 'tel', name: 'phone', autocomplete: 'tel', inputmode: 'numeric' });
  const code = h('input', { type: 'text', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: '6' });
  const send = h('button', { type: 'button' }, t('signin.send'));
  const status = h('p', { class: 'muted', role: 'status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('signin.submit'));
  const form = h('form', { class: 'form narrow', novalidate: true },
    field(t('signin.phone'), phone, { names: ['phone'], required: true }),
    h('div', { class: 'buttons' }, send), status,
    field(t('signin.code'), code, { names: ['code'], required: true }),
    h('div', { class: 'buttons' }, submit));
  let timer = null;
  onCleanup(() => clearInterval(timer));
  // The button waits out the minute between two codes (the server refuses sooner ones too).
  const wait = (s) => {
    clearInterval(timer);
    let left = s;
    send.disabled = true;
    send.textContent = t('signin.wait', { n: left });
    timer = setInterval(() => {
      left -= 1;
      if (left > 0) { send.textContent = t('signin.wait', { n: left }); return; }
      clearInterval(timer);
      send.disabled = false;
      send.textContent = t('signin.send');
    }, 1000);
  };
  send.addEventListener('click', async () => {
    clearErrors(form);
    status.textContent = '';
    let body;
    try { body = formBody(form, CODE_FIELDS); } catch (e) { showError(form, e); return; }
    send.disabled = true;
    try {
      const r = await api.post('/auth/sms-code', body, { noAuthRedirect: true });
      status.textContent = t('signin.sent', { n: Math.round(r.expires_in / 60) });
      wait(60);
      code.focus();
    } catch (e) {
      send.disabled = false;
      if (e.status === 429) { wait(e.retryAfter || 60); status.textContent = t('signin.throttled'); return; }
      // A mobile number, not any phone number: the general sentence for 'phone' would mislead.
      showError(form, e.field === 'phone' ? { field: 'phone', plain: () => t('signin.phone.bad') } : e);
    }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    let body;
    try { body = formBody(form, FIELDS); } catch (e) { showError(form, e); return; }
    submit.disabled = true;
    try {
      session.user = await api.smsLogin(body.phone, body.code);
      const next = query.get('next');
      go(next && next !== '/signin' ? next : '/');
    } catch (e) {
      submit.disabled = false;
      showError(form, e.status === 401 ? { field: 'code', plain: () => t('signin.failed') } : e);
    }
  });
  return h('div', { class: 'login' },
    h('h1', {}, title),
    h('p', {}, t('signin.intro')),
    form,
    h('p', {}, h('a', { href: '#/login' }, t('signin.staff'))),
    h('p', {}, h('a', { href: '#/lookup' }, t('login.lookup'))));
}
