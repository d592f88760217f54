// The JSON API client. The session is the HttpOnly cookie the login sets (EventSource needs it);
// writes carry the CSRF token the login returned. Every failure becomes an ApiError holding the
// server's code, message and field, so forms can show it next to the input it concerns.
import { t, has } from './i18n.js';

const CSRF_KEY = 'gl.csrf';

export class ApiError extends Error {
  constructor(status, code, message, field, reason) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
    this.reason = reason || null;
  }
  // Plain words for the user, always from the strings table: the server's message is English for
  // logs and API clients and is never shown. The code and the field choose the sentence: one for
  // this code and field if the table has it ("err.bad_request.password"), else the code's
  // sentence naming the field ("“密码”填写不正确"), else the code's own.
  plain() {
    if (this.status === 0) return t('err.network');
    if (this.status === 401) return t('err.unauthorized');
    if (this.status === 429 && this.retryAfter) return t('err.too_many_requests_wait', { n: this.retryAfter });
    if (this.status === 429) return t('err.too_many_requests');
    // 5xx messages describe the server's inside (a lost database connection): not for users.
    if (this.status === 503) return t('err.unavailable');
    if (this.status >= 500) return t(has('err.' + this.code) ? 'err.' + this.code : 'err.server');
    const name = fieldName(this.field);
    if (name && has(`err.${this.code}.${name}`)) return t(`err.${this.code}.${name}`);
    if (this.status === 404) return t('err.not_found');
    // A refusal says why in `reason` (role, scope, owner, lead, anonymous, csrf: src/core/err.h).
    if (this.status === 403) return t(this.reason && has('err.forbidden.' + this.reason) ? 'err.forbidden.' + this.reason : 'err.forbidden');
    if (this.status === 409) {
      if (name === 'version') return t('err.conflict');
      if (name === 'action' || !name) return t('err.conflict.state');
      return t('err.conflict.other', { label: fieldLabel(this.field) });
    }
    if (name) return t('err.field', { label: fieldLabel(this.field) });
    return t(has('err.' + this.code) ? 'err.' + this.code : 'err.generic_plain');
  }
}

// "citizen.phone" → "phone", "cases[2].version" → "version": the member the error is about.
export function fieldName(field) {
  return field ? field.replace(/\[\d+\]/g, '').split('.').pop() : '';
}

// The field as people call it: its form label if it has one, else its name in the table.
export function fieldLabel(field) {
  const name = fieldName(field);
  for (const k of ['fieldname.' + name, 'field.' + name]) if (has(k)) return t(k);
  return t('fieldname.unknown');
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body instanceof Blob) {
    headers['Content-Type'] = body.type || 'application/octet-stream';
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = localStorage.getItem(CSRF_KEY);
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let r;
  try {
    r = await fetch('/api/v1' + path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network', e.message, null);
  }
  if (r.status === 204) return null;
  const text = await r.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!r.ok) {
    const e = (data && data.error) || {};
    const err = new ApiError(r.status, e.code || String(r.status), e.message || r.statusText, e.field, e.reason);
    // A throttled login says how long to wait (seconds), which the sentence repeats.
    err.retryAfter = Number(r.headers.get('Retry-After')) || 0;
    // The whole answer, for errors that carry more than the error (an import's report).
    err.body = data;
    if (r.status === 401 && !opts.noAuthRedirect) onUnauthorized(err);
    throw err;
  }
  return data;
}

function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') p.set(k, v);
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

export const api = {
  get: (path, params, opts) => request('GET', path + qs(params), undefined, opts),
  post: (path, body, opts) => request('POST', path, body ?? {}, opts),
  put: (path, body) => request('PUT', path, body ?? {}),
  patch: (path, body) => request('PATCH', path, body ?? {}),
  del: (path) => request('DELETE', path),
  upload: (path, file) => request('POST', path, file),

  async login(name, password) {
    const r = await request('POST', '/auth/login', { name, password }, { noAuthRedirect: true });
    localStorage.setItem(CSRF_KEY, r.csrf_token);
    return r.user;
  },
  // Citizens: the code sent by SMS instead of a password (docs/citizens.md).
  async smsLogin(phone, code) {
    const r = await request('POST', '/auth/sms-login', { phone, code }, { noAuthRedirect: true });
    localStorage.setItem(CSRF_KEY, r.csrf_token);
    return r.user;
  },
  async logout() {
    try { await request('POST', '/auth/logout', {}, { noAuthRedirect: true }); } catch { /* gone */ }
    localStorage.removeItem(CSRF_KEY);
  },
  me: () => request('GET', '/me', undefined, { noAuthRedirect: true }),
  action: (id, body) => request('POST', `/cases/${id}/actions`, body),

  // All pages of a case list, up to `max` items (lists have no total, only cursors).
  async cases(params, max = 200) {
    const items = [];
    let cursor = null;
    do {
      const page = await api.get('/cases', { ...params, limit: Math.min(200, max - items.length), cursor });
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < max);
    return { items, more: !!cursor };
  },
};

// Organisation lists change rarely: cache them for the page's life (admin edits clear it).
const cache = new Map();
export function cached(path, params) {
  const key = path + qs(params);
  if (!cache.has(key)) {
    const p = api.get(path, params);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return cache.get(key);
}
export function clearCache() { cache.clear(); }
