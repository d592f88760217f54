// 居民议事 and 积分 (issue 18 items 5 and 6; docs/participation.md). Residents propose for their
// community or street, vote once on an open poll and read the published results; officials on
// the same screen moderate (hide with a reason, restore), open polls, publish results, track an
// adopted proposal as a project to completion and read the participation rate per community.
// 我的积分 shows a resident's balance, entries and the catalogue to redeem from; 积分规则 is
// where officials set the rules and stock the catalogue.
// What a role may do is the server's decision: the forms shown follow the roles, the server
// refuses the rest.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, choiceGroup, checkbox, formBody, showError, clearErrors, toast, fmtTime } from '../ui.js';
import { regions } from '../data.js';

const MODERATORS = ['supervisor', 'admin'];
const PROPOSERS = ['citizen', 'grid_worker', 'supervisor', 'admin'];
const pct = (v) => `${v.toFixed(1)}%`;

function localInput(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function form(label, children, submit, onSubmit) {
  const f = h('form', { class: 'form', novalidate: true, 'aria-label': label }, ...children,
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

export async function proposals({ title, user }) {
  const moderator = MODERATORS.some((r) => user.roles.includes(r));
  const citizen = user.roles.includes('citizen');
  const list = h('div', { 'aria-live': 'polite' });
  const rates = h('div', {});
  // A resident proposes for their community or their street; an official for any.
  const scopes = (await Promise.all([regions('street'), regions('community')])).flat()
    .filter((r) => !citizen || (user.region && user.region.startsWith(r.code)))
    .sort((a, b) => a.code.localeCompare(b.code));
  async function load() {
    const r = await api.get('/proposals', { limit: 200 });
    clear(list, r.items.length
      ? h('ol', { class: 'cards' }, r.items.map((p) => card(p, { moderator, citizen, user, reload: load })))
      : h('p', {}, t('proposal.empty')));
    if (moderator) await loadRates(rates);
  }
  const create = PROPOSERS.some((r) => user.roles.includes(r)) && scopes.length
    ? h('details', { class: 'card' }, h('summary', {}, t('proposal.new')),
      form(t('proposal.new'), [
        field(t('proposal.f.scope'), select(scopes.map((r) => [String(r.id), r.name]), { name: 'region_id' }), { names: ['region_id'], required: true }),
        field(t('field.title'), h('input', { name: 'title', maxlength: 100 }), { names: ['title'], required: true }),
        field(t('proposal.f.body'), h('textarea', { name: 'body', rows: 4, maxlength: 4000 }), { names: ['body'], required: true, hint: t('proposal.body.hint') }),
      ], t('proposal.submit'), async (f) => {
        await api.post('/proposals', formBody(f, [{ name: 'region_id', type: 'int', required: true },
          { name: 'title', required: true }, { name: 'body', required: true }]));
        f.reset();
        toast(t('proposal.created'));
        await load();
      }))
    : (citizen ? h('p', { class: 'hint' }, t('proposal.no_region')) : null);
  await load();
  return h('div', { class: 'proposals' }, h('h1', {}, title), h('p', { class: 'hint' }, t('proposal.intro')),
    rates, create, list);
}

async function loadRates(box) {
  const r = await api.get('/participation');
  const rows = r.items.filter((x) => x.residents > 0);
  clear(box, h('h2', {}, t('participation.heading')),
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'participation' },
      h('thead', {}, h('tr', {}, ...['participation.col.community', 'participation.col.residents', 'participation.col.voters', 'participation.col.rate']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, ...rows.map((x) => h('tr', { 'data-region': x.region },
        h('td', {}, x.name), h('td', {}, String(x.residents)), h('td', {}, String(x.voters)), h('td', {}, pct(x.rate_pct)))))))
      : h('p', {}, t('participation.none')));
}

function card(p, ctx) {
  const poll = p.poll;
  const now = Date.now();
  const open = poll && !poll.published_at && Date.parse(poll.opens_at) <= now && now < Date.parse(poll.closes_at);
  const parts = [
    h('h2', {}, p.title),
    h('p', {}, h('span', { class: `badge proposal-${p.status}` }, t('proposal.status.' + p.status)), ' ',
      t('proposal.meta', { scope: p.region_name, who: p.author, at: fmtTime(p.created_at) })),
    h('p', { class: 'note' }, p.body),
  ];
  if (p.hidden) {
    parts.push(h('p', { class: 'warn' }, t('proposal.hidden', { reason: p.hide_reason })));
    if (p.appeal) parts.push(h('p', { class: 'muted' }, t('proposal.appeal.text', { text: p.appeal })));
    if (p.author_id === ctx.user.id && ctx.citizen && !p.appeal) parts.push(appealForm(p, ctx.reload));
  }
  if (poll) {
    parts.push(h('p', { class: 'poll' }, t('poll.meta', { opens: fmtTime(poll.opens_at), closes: fmtTime(poll.closes_at), q: poll.quorum_pct }),
      poll.secret ? ' · ' + t('poll.secret') : '', ' · ', t('poll.voters', { n: poll.voters })));
    if (poll.results) parts.push(results(poll.results));
    else if (p.voted) parts.push(h('p', { class: 'ok' }, t('poll.voted')));
    else if (open && ctx.citizen) parts.push(voteForm(p, ctx.reload));
    if (ctx.moderator && !poll.published_at && now >= Date.parse(poll.closes_at)) {
      parts.push(h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: async (ev) => {
        try {
          await api.post(`/proposals/${p.id}/publish`);
          toast(t('poll.published'));
          await ctx.reload();
        } catch (e) { toast(e.plain ? e.plain() : String(e)); ev.target.focus(); }
      } }, t('poll.publish'))));
    }
  } else if (ctx.moderator && !p.hidden) {
    parts.push(pollForm(p, ctx.reload));
  }
  if (p.project) {
    parts.push(h('p', { class: 'project' }, t('project.line', { status: t('project.status.' + p.project.status), at: fmtTime(p.project.updated_at) }),
      p.project.note ? ' · ' + p.project.note : ''));
  }
  if (ctx.moderator && p.status === 'adopted' && p.project?.status !== 'done') parts.push(projectForm(p, ctx.reload));
  if (ctx.moderator) parts.push(p.hidden ? restoreButton(p, ctx.reload) : hideForm(p, ctx.reload));
  return h('li', { class: 'card proposal', 'data-proposal': String(p.id), 'data-status': p.status }, ...parts);
}

function results(r) {
  return h('dl', { class: 'facts poll-results' },
    h('dt', {}, t('poll.outcome')), h('dd', {}, t('proposal.status.' + r.outcome)),
    h('dt', {}, t('poll.counts')), h('dd', {}, t('poll.counts.text', { yes: r.yes, no: r.no, abstain: r.abstain })),
    h('dt', {}, t('poll.turnout')), h('dd', {}, t('poll.turnout.text', { voters: r.voters, eligible: r.eligible, pct: pct(r.turnout_pct) })));
}

function voteForm(p, reload) {
  return form(t('poll.vote_for', { title: p.title }), [
    choiceGroup(t('poll.f.choice'), 'radio', 'choice', [['yes', t('poll.choice.yes')], ['no', t('poll.choice.no')], ['abstain', t('poll.choice.abstain')]]),
  ], t('poll.vote'), async (f) => {
    await api.post(`/proposals/${p.id}/vote`, formBody(f, [{ name: 'choice', required: true }]));
    toast(t('poll.voted'));
    await reload();
  });
}

function pollForm(p, reload) {
  return h('details', {}, h('summary', {}, t('poll.open')),
    form(t('poll.open_for', { title: p.title }), [
      field(t('field.closes_at'), h('input', { type: 'datetime-local', name: 'closes_at', value: localInput(Date.now() + 7 * 86400000) }), { names: ['closes_at'], required: true }),
      field(t('field.quorum_pct'), h('input', { type: 'number', name: 'quorum_pct', min: 0, max: 100, value: '65' }), { names: ['quorum_pct'], required: true, hint: t('poll.quorum.hint') }),
      checkbox(t('poll.f.secret'), 'secret'),
    ], t('poll.open'), async (f) => {
      await api.post(`/proposals/${p.id}/poll`, formBody(f, [{ name: 'closes_at', type: 'date', required: true },
        { name: 'quorum_pct', type: 'int', required: true }, { name: 'secret', type: 'bool' }]));
      toast(t('poll.opened'));
      await reload();
    }));
}

function projectForm(p, reload) {
  const steps = ['planned', 'in_progress', 'done'];
  const from = steps.indexOf(p.project?.status);
  return h('details', {}, h('summary', {}, t('project.update')),
    form(t('project.update_for', { title: p.title }), [
      field(t('project.f.status'), select(steps.slice(Math.max(from, 0)).map((k) => [k, t('project.status.' + k)]), { name: 'status' }), { names: ['status'], required: true }),
      field(t('project.f.note'), h('input', { name: 'note', maxlength: 500 }), { names: ['note'] }),
    ], t('project.update'), async (f) => {
      await api.post(`/proposals/${p.id}/project`, formBody(f, [{ name: 'status', required: true }, { name: 'note' }]));
      toast(t('project.updated'));
      await reload();
    }));
}

function hideForm(p, reload) {
  return h('details', {}, h('summary', {}, t('proposal.hide')),
    form(t('proposal.hide_for', { title: p.title }), [
      field(t('field.reason'), h('input', { name: 'reason', maxlength: 500 }), { names: ['reason'], required: true, hint: t('proposal.reason.hint') }),
    ], t('proposal.hide'), async (f) => {
      await api.post(`/proposals/${p.id}/hide`, formBody(f, [{ name: 'reason', required: true }]));
      toast(t('proposal.hidden.done'));
      await reload();
    }));
}

function restoreButton(p, reload) {
  return h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: async () => {
    try {
      await api.post(`/proposals/${p.id}/restore`);
      toast(t('proposal.restored'));
      await reload();
    } catch (e) { toast(e.plain ? e.plain() : String(e)); }
  } }, t('proposal.restore')));
}

function appealForm(p, reload) {
  return form(t('proposal.appeal_for', { title: p.title }), [
    field(t('proposal.f.appeal'), h('textarea', { name: 'text', rows: 2, maxlength: 500 }), { names: ['text'], required: true }),
  ], t('proposal.appeal'), async (f) => {
    await api.post(`/proposals/${p.id}/appeal`, formBody(f, [{ name: 'text', required: true }]));
    toast(t('proposal.appealed'));
    await reload();
  });
}

// 我的积分: the balance (the sum of the entries shown), the entries, and the catalogue.
export async function myPoints({ title }) {
  const box = h('div', { 'aria-live': 'polite' });
  async function load() {
    const [me, items] = await Promise.all([api.get('/me/points'), api.get('/points-items')]);
    clear(box,
      h('p', { class: 'points-balance' }, t('points.balance', { n: me.balance })),
      h('h2', {}, t('points.catalogue')),
      items.items.length ? h('ol', { class: 'cards' }, items.items.map((it) => h('li', { class: 'card points-item', 'data-item': String(it.id) },
        h('h3', {}, it.name),
        h('p', {}, t('points.item.meta', { cost: it.cost, stock: it.stock })),
        h('div', { class: 'buttons' }, h('button', {
          type: 'button', class: 'primary', disabled: it.stock < 1 || me.balance < it.cost,
          'aria-label': t('points.redeem_for', { name: it.name }),
          onclick: async () => {
            try {
              await api.post(`/points-items/${it.id}/redeem`);
              toast(t('points.redeemed', { name: it.name }));
              await load();
            } catch (e) { toast(e.plain ? e.plain() : String(e)); }
          },
        }, t('points.redeem')))))) : h('p', {}, t('points.catalogue.empty')),
      h('h2', {}, t('points.entries')),
      me.items.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'points-entries' },
        h('thead', {}, h('tr', {}, ...['points.col.at', 'points.col.what', 'points.col.delta'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, ...me.items.map((e) => h('tr', {},
          h('td', {}, fmtTime(e.at)),
          h('td', {}, e.rule ? t('points.earned', { rule: e.rule, note: e.note || '' }) : t('points.spent', { item: e.item })),
          h('td', {}, e.delta > 0 ? `+${e.delta}` : String(e.delta)))))))
        : h('p', {}, t('points.entries.empty')));
  }
  await load();
  return h('div', { class: 'my-points' }, h('h1', {}, title), h('p', { class: 'hint' }, t('points.intro')), box);
}

// 积分规则: the rules (points per kind, on or off) and the redemption catalogue.
export async function pointsRules({ title }) {
  const box = h('div', { 'aria-live': 'polite' });
  async function load() {
    const [rules, items] = await Promise.all([api.get('/points-rules'), api.get('/points-items')]);
    clear(box,
      h('h2', {}, t('points.rules')),
      h('ol', { class: 'cards' }, rules.items.map((r) => h('li', { class: 'card points-rule', 'data-rule': r.code },
        form(t('points.rule_for', { name: r.name }), [
          h('h3', {}, r.name),
          field(t('points.f.points'), h('input', { type: 'number', name: 'points', min: 0, max: 10000, value: String(r.points) }), { names: ['points'], required: true }),
          checkbox(t('points.f.active'), 'active', r.active),
        ], t('points.rule.save'), async (f) => {
          await api.patch(`/points-rules/${r.id}`, formBody(f, [{ name: 'points', type: 'int', required: true }, { name: 'active', type: 'bool' }]));
          toast(t('points.rule.saved', { name: r.name }));
          await load();
        })))),
      h('h2', {}, t('points.catalogue')),
      items.items.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'points-items' },
        h('thead', {}, h('tr', {}, ...['points.col.item', 'points.col.cost', 'points.col.stock'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, ...items.items.map((it) => h('tr', { 'data-item': String(it.id) },
          h('td', {}, it.name), h('td', {}, String(it.cost)), h('td', {}, String(it.stock)))))))
        : h('p', {}, t('points.catalogue.empty')),
      form(t('points.item.new'), [
        field(t('points.col.item'), h('input', { name: 'name', maxlength: 100 }), { names: ['name'], required: true }),
        field(t('field.cost'), h('input', { type: 'number', name: 'cost', min: 1 }), { names: ['cost'], required: true }),
        field(t('field.stock'), h('input', { type: 'number', name: 'stock', min: 0 }), { names: ['stock'], required: true }),
      ], t('points.item.add'), async (f) => {
        await api.post('/points-items', formBody(f, [{ name: 'name', required: true },
          { name: 'cost', type: 'int', required: true }, { name: 'stock', type: 'int', required: true }]));
        toast(t('points.item.added'));
        await load();
      }));
  }
  await load();
  return h('div', { class: 'points-rules' }, h('h1', {}, title), h('p', { class: 'hint' }, t('points.rules.intro')), box);
}
