// 公开征求意见 (issue 18 item 5; docs/participation.md). Everyone, signed in or not, reads the
// consultations: the draft, the comments (the commenter's name masked by the server) and, once
// published, the summary of what was adopted and why with the answer to each comment
// (征求意见反馈). A resident of the scope comments while it is open; officials open one on a draft
// policy or a draft document, answer each comment after the close and publish the summary.
// What a role may do is the server's decision: the comment form follows its may_comment, the
// officials' forms follow the roles, and the server refuses the rest.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, formBody, showError, clearErrors, toast, fmtTime } from '../ui.js';
import { regions } from '../data.js';

const OFFICIALS = ['supervisor', 'data_officer', 'admin'];
const isOfficial = (user) => !!user && OFFICIALS.some((r) => user.roles.includes(r));

function localInput(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function form(label, children, submit, onSubmit, attrs = {}) {
  const f = h('form', { class: 'form', novalidate: true, 'aria-label': label, ...attrs }, ...children,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, submit)));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    try {
      await onSubmit(f);
    } catch (e) {
      showError(f, e);
    }
  });
  return f;
}

const scopeName = (k) => k.region_name || t('consult.scope.city');
const status = (k) => h('span', { class: `badge consult-${k.status}` }, t('consult.status.' + k.status));

export async function consultations({ title, user }) {
  const list = h('div', { 'aria-live': 'polite' });
  async function load() {
    const r = await api.get('/consultations', { limit: 200 }, { noAuthRedirect: true });
    clear(list, r.items.length
      ? h('ol', { class: 'cards' }, r.items.map((k) => h('li', { class: 'card consultation', 'data-consultation': String(k.id), 'data-status': k.status },
        h('h2', {}, h('a', { href: `#/consultation/${k.id}` }, k.title)),
        h('p', {}, status(k), ' ', t('consult.meta', { scope: scopeName(k), opens: fmtTime(k.opens_at), closes: fmtTime(k.closes_at) })),
        h('p', { class: 'muted' }, t('consult.counts', { n: k.comment_count, answered: k.answered_count })))))
      : h('p', {}, t('consult.empty')));
  }
  const create = isOfficial(user) ? await createForm(load) : null;
  await load();
  return h('div', { class: 'consultations' }, h('h1', {}, title), h('p', { class: 'hint' }, t('consult.intro')), create, list);
}

async function createForm(reload) {
  const [drafts, scopes] = await Promise.all([
    api.get('/policies', { limit: 500 }).then((r) => r.items.filter((p) => p.status === 'draft')),
    Promise.all([regions('street'), regions('community')]).then((x) => x.flat().sort((a, b) => a.code.localeCompare(b.code)))]);
  const policy = select([['', t('consult.f.no_policy')], ...drafts.map((p) => [String(p.id), p.name])], { name: 'policy_id' });
  const own = h('div', {},
    field(t('field.title'), h('input', { name: 'title', maxlength: 100 }), { names: ['title'], required: true }),
    field(t('consult.f.body'), h('textarea', { name: 'body', rows: 6, maxlength: 20000 }), { names: ['body'], required: true, hint: t('consult.body.hint') }));
  const sync = () => { own.hidden = policy.value !== ''; };
  policy.addEventListener('change', sync);
  sync();
  return h('details', { class: 'card' }, h('summary', {}, t('consult.new')),
    form(t('consult.new'), [
      field(t('consult.f.policy'), policy, { names: ['policy_id'], hint: t('consult.policy.hint') }),
      own,
      field(t('consult.f.scope'), select([['', t('consult.scope.city')], ...scopes.map((r) => [String(r.id), r.name])], { name: 'region_id' }), { names: ['region_id'] }),
      field(t('field.closes_at'), h('input', { type: 'datetime-local', name: 'closes_at', value: localInput(Date.now() + 30 * 86400000) }), { names: ['closes_at'], required: true }),
    ], t('consult.submit'), async (f) => {
      // With a policy its name and text are the draft's: the hidden title and text are left out.
      const own = policy.value === '';
      const body = formBody(f, [{ name: 'policy_id', type: 'int' }, { name: 'title', required: own }, { name: 'body', required: own },
        { name: 'region_id', type: 'int' }, { name: 'closes_at', type: 'date', required: true }]);
      const k = await api.post('/consultations', body);
      toast(t('consult.created'));
      location.hash = `#/consultation/${k.id}`;
      await reload();
    }));
}

export async function consultation({ params, user, refresh }) {
  const k = await api.get(`/consultations/${params[0]}`, undefined, { noAuthRedirect: true });
  const official = isOfficial(user);
  const parts = [
    h('h1', {}, k.title),
    h('p', {}, status(k), ' ', t('consult.meta', { scope: scopeName(k), opens: fmtTime(k.opens_at), closes: fmtTime(k.closes_at) })),
    h('section', { class: 'card draft', 'aria-labelledby': 'draft-h' }, h('h2', { id: 'draft-h' }, t('consult.draft')), h('p', { class: 'note' }, k.body)),
  ];
  if (k.status === 'published') {
    parts.push(h('section', { class: 'card consult-summary', 'aria-labelledby': 'sum-h' },
      h('h2', { id: 'sum-h' }, t('consult.summary')),
      h('p', { class: 'muted' }, t('consult.published_at', { at: fmtTime(k.published_at) })),
      h('p', { class: 'note' }, k.summary)));
  }
  if (k.may_comment) {
    parts.push(h('section', { class: 'card', 'aria-labelledby': 'cm-h' }, h('h2', { id: 'cm-h' }, t('consult.comment')),
      form(t('consult.comment'), [
        field(t('consult.f.comment'), h('textarea', { name: 'body', rows: 4, maxlength: 1000 }), { names: ['body'], required: true, hint: t('consult.comment.hint', { n: k.comments_per_user }) }),
      ], t('consult.comment.submit'), async (f) => {
        await api.post(`/consultations/${k.id}/comments`, formBody(f, [{ name: 'body', required: true }]));
        toast(t('consult.commented'));
        refresh();
      })));
  } else if (k.status === 'open' && user && user.roles.includes('citizen')) {
    parts.push(h('p', { class: 'hint' }, t('consult.cannot_comment')));
  }
  const answering = official && k.status === 'closed';
  parts.push(h('h2', {}, t('consult.comments', { n: k.comments.length })),
    k.comments.length ? h('ol', { class: 'cards consult-comments' }, k.comments.map((c) => comment(k, c, answering, refresh)))
      : h('p', {}, t('consult.comments.none')));
  if (answering) {
    parts.push(h('section', { class: 'card', 'aria-labelledby': 'pub-h' }, h('h2', { id: 'pub-h' }, t('consult.publish')),
      form(t('consult.publish'), [
        field(t('consult.f.summary'), h('textarea', { name: 'summary', rows: 5, maxlength: 4000 }), { names: ['summary', 'comments'], required: true, hint: t('consult.summary.hint') }),
      ], t('consult.publish'), async (f) => {
        await api.post(`/consultations/${k.id}/publish`, formBody(f, [{ name: 'summary', required: true }]));
        toast(t('consult.published'));
        refresh();
      })));
  } else if (official && k.status === 'open') {
    parts.push(h('p', { class: 'hint' }, t('consult.answer_after')));
  }
  return h('div', { class: 'consultation-page' }, h('p', {}, h('a', { href: '#/consultations' }, t('consult.back'))), ...parts);
}

function comment(k, c, answering, refresh) {
  const parts = [
    h('p', { class: 'muted' }, t('consult.comment.meta', { who: c.author, at: fmtTime(c.created_at) }), c.mine ? ' · ' + t('consult.mine') : ''),
    h('p', { class: 'note' }, c.body),
  ];
  if (c.answer) {
    parts.push(h('p', { class: 'consult-answer' }, h('span', { class: `badge answer-${c.answer.result}` }, t('consult.answer.' + c.answer.result)), ' ',
      t('consult.answer.reason', { reason: c.answer.reason })));
  }
  if (answering) {
    parts.push(h('details', { open: !c.answer }, h('summary', {}, t(c.answer ? 'consult.answer.change' : 'consult.answer')),
      form(t('consult.answer_for', { who: c.author }), [
        field(t('consult.f.answer'), select(['adopted', 'partly', 'not_adopted'].map((a) => [a, t('consult.answer.' + a)]), { name: 'answer', value: c.answer?.result }), { names: ['answer'], required: true }),
        field(t('consult.f.reason'), h('input', { name: 'reason', maxlength: 500, value: c.answer?.reason || '' }), { names: ['reason'], required: true, hint: t('consult.reason.hint') }),
      ], t('consult.answer.save'), async (f) => {
        await api.post(`/consultations/${k.id}/comments/${c.id}/answer`, formBody(f, [{ name: 'answer', required: true }, { name: 'reason', required: true }]));
        toast(t('consult.answered'));
        refresh();
      }, { 'data-comment': String(c.id) })));
  }
  return h('li', { class: 'card consult-comment', 'data-comment': String(c.id), 'data-answer': c.answer ? c.answer.result : '' }, ...parts);
}
