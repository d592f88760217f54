// The knowledge base on the operator's console: as the caller's words are typed, the articles
// that answer them (POST /knowledge/suggest); one click puts an article's answer in the 直接答复
// box, and the answer given from it is linked to the article and counted.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, formBody, showError, clearErrors, toast, fmtTime } from '../ui.js';
import { departments } from '../data.js';

export function knowledgePanel({ onUse }) {
  const list = h('div', { class: 'kb-list' });
  const el = h('section', { class: 'card kb-panel', 'aria-labelledby': 'kb-h', 'aria-live': 'polite', hidden: true },
    h('h2', { id: 'kb-h' }, t('kb.heading')), list);
  let timer = null;
  let asked = '';
  let chosen = null;
  async function show(text) {
    asked = text;
    let r;
    try { r = await api.post('/knowledge/suggest', { text, limit: 3 }); } catch { return; }
    if (asked !== text) return;
    el.hidden = !r.items.length;
    clear(list, h('ul', { class: 'kb-hits' }, r.items.map((a) => h('li', { 'data-article': a.id },
      h('strong', {}, a.title), a.department ? h('span', { class: 'muted' }, ' ', t('p.paren', { x: a.department })) : null,
      h('p', { class: 'kb-body' }, a.body),
      h('button', { type: 'button', class: 'small', 'aria-label': t('kb.use.label', { title: a.title }),
        onclick: () => { chosen = a; onUse(a); } }, t('kb.use'))))));
  }
  return {
    el,
    schedule(text) {
      clearTimeout(timer);
      const v = text.trim();
      if (v.length < 4) { el.hidden = true; asked = ''; return; }
      if (v === asked) return;
      timer = setTimeout(() => show(v), 500);
    },
    chosen: () => chosen,
    reset() { clearTimeout(timer); asked = ''; chosen = null; el.hidden = true; clear(list); },
  };
}

// The knowledge base screen: every article with its owner, validity and uses; supervisors and
// admins add and retire articles (the server decides: a refused write says so under the form).
export async function knowledgeBase({ title }) {
  const root = h('div', { class: 'knowledge' });
  async function draw() {
    const [r, deps] = await Promise.all([api.get('/knowledge', { active: 'all' }), departments()]);
    const rows = r.items.map((a) => h('tr', { 'data-article': a.id },
      h('td', {}, h('strong', {}, a.title), h('div', { class: 'kb-body muted' }, a.body)),
      h('td', {}, a.department || t('app.none')),
      h('td', {}, a.valid_until ? fmtTime(a.valid_until) : t('kb.open')),
      h('td', {}, a.in_force ? t('kb.in_force') : t('kb.not_in_force')),
      h('td', {}, String(a.uses)),
      h('td', {}, a.active ? h('button', { type: 'button', class: 'small secondary', 'aria-label': t('kb.retire.label', { title: a.title }),
        onclick: async () => { try { await api.del(`/knowledge/${a.id}`); await draw(); } catch (e) { toast(e.plain()); } } }, t('kb.retire')) : '')));
    const titleIn = h('input', { name: 'title', maxlength: 100 });
    const bodyIn = h('textarea', { name: 'body', rows: 4, maxlength: 4000 });
    const kw = h('input', { name: 'keywords', maxlength: 200 });
    const dep = select([['', t('app.none')], ...deps.map((d) => [String(d.id), d.name])], { name: 'department_id' });
    const until = h('input', { type: 'date', name: 'valid_until' });
    const form = h('form', { class: 'form card', novalidate: true }, h('h2', {}, t('kb.add')),
      field(t('kb.title'), titleIn, { names: ['title'], required: true }),
      field(t('kb.body'), bodyIn, { names: ['body'], required: true }),
      field(t('kb.keywords'), kw, { names: ['keywords'], hint: t('kb.keywords.hint') }),
      field(t('kb.department'), dep, { names: ['department_id'] }),
      field(t('kb.valid_until'), until, { names: ['valid_until'] }),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('app.save'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      try {
        await api.post('/knowledge', formBody(form, [{ name: 'title', required: true }, { name: 'body', required: true },
          { name: 'keywords' }, { name: 'department_id', type: 'int' }, { name: 'valid_until', type: 'date' }]));
        toast(t('app.saved'));
        await draw();
      } catch (e) { showError(form, e); }
    });
    clear(root, h('h1', {}, title),
      h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'sr-only' }, title),
        h('thead', {}, h('tr', {}, ['kb.title', 'kb.department', 'kb.valid_until', 'kb.state', 'kb.uses', 'kb.actions']
          .map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, rows))),
      form);
  }
  await draw();
  return root;
}
