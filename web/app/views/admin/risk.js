// 风险规则: the rules a case's risk grade is the sum of (docs/warning.md §3), edited here, and the
// weights re-fitted to what supervisors decided when they confirmed or lowered grades: a proposal
// first (how many decisions the present and the proposed weights agree with), applied on request.
import { t } from '../../i18n.js';
import { api } from '../../api.js';
import { h, field, select, checkbox, formBody, fmtTime, toast } from '../../ui.js';
import { apiForm, table, rowButton } from './common.js';

const SET = [
  { name: 'id', type: 'int' },
  { name: 'factor', required: true },
  { name: 'weight', type: 'number', required: true },
  { name: 'label', required: true },
  { name: 'active', type: 'bool' },
];
const FACTORS = ['word', 'category', 'history', 'place'];
// History and place rules count what the server knows of a case, named by fixed keys: chosen
// from a list rather than typed.
const FIXED = { history: ['repeat', 'unsolved'], place: ['spike'] };

function factorText(r) { return t('risk.factor.' + r.factor); }
function patternText(r) {
  return r.factor === 'history' || r.factor === 'place' ? t('risk.pattern.' + r.pattern) : r.pattern;
}

export async function riskRules(reload) {
  const rules = (await api.get('/risk-rules')).items;
  const put = (r, changes) => api.put('/risk-rules', {
    id: r.id, factor: r.factor, pattern: r.pattern, weight: r.weight, label: r.label, active: r.active, ...changes,
  });
  const typed = field(t('fieldname.pattern'), h('input', { name: 'pattern', maxlength: '40' }), { names: ['pattern'], required: true, hint: t('risk.pattern.hint') });
  const fixed = field(t('fieldname.pattern'), h('select', { name: 'pattern_key' }), { names: [], required: true });
  const form = apiForm(t('risk.rule.set'), [
    h('input', { type: 'hidden', name: 'id' }),
    field(t('fieldname.factor'), select(FACTORS.map((f) => [f, t('risk.factor.' + f)]), { name: 'factor' }), { names: ['factor'], required: true }),
    typed,
    fixed,
    field(t('fieldname.weight'), h('input', { type: 'number', name: 'weight', min: '-100', max: '100', step: '1', value: '10' }), { names: ['weight'], required: true }),
    field(t('risk.rule.label'), h('input', { name: 'label', maxlength: '40' }), { names: ['label'], required: true }),
    checkbox(t('risk.rule.active'), 'active', true),
  ], (f) => {
    const body = formBody(f, SET);
    body.pattern = FIXED[body.factor] ? f.elements.pattern_key.value : f.elements.pattern.value.trim();
    return put({}, body);
  }, reload);
  const factorSelect = form.elements.factor;
  const showPattern = () => {
    const keys = FIXED[factorSelect.value];
    typed.hidden = !!keys;
    fixed.hidden = !keys;
    if (keys) {
      const sel = form.elements.pattern_key;
      sel.replaceChildren(...keys.map((k) => h('option', { value: k }, t('risk.pattern.' + k))));
    }
  };
  factorSelect.addEventListener('change', showPattern);
  showPattern();
  const edit = (r) => {
    form.elements.id.value = String(r.id);
    form.elements.factor.value = r.factor;
    showPattern();
    if (FIXED[r.factor]) form.elements.pattern_key.value = r.pattern;
    else form.elements.pattern.value = r.pattern;
    form.elements.weight.value = String(r.weight);
    form.elements.label.value = r.label;
    form.elements.active.checked = r.active;
    form.querySelector('h2').textContent = t('risk.rule.edit', { label: r.label });
    form.elements.pattern.focus();
  };
  const rows = rules.map((r) => [factorText(r), patternText(r), (r.weight > 0 ? '+' : '') + r.weight, r.label,
    r.active ? t('risk.rule.on') : t('risk.rule.off'), fmtTime(r.updated_at),
    h('span', { class: 'buttons' },
      h('button', { type: 'button', class: 'small', 'aria-label': t('risk.rule.edit_label', { label: r.label }), onclick: () => edit(r) }, t('app.edit')),
      rowButton(r.active ? t('risk.rule.disable') : t('risk.rule.enable'),
        t(r.active ? 'risk.rule.disable_label' : 'risk.rule.enable_label', { label: r.label }),
        () => put(r, { active: !r.active }), reload))]);

  // The re-fit: asked for, shown, then applied or left.
  const fit = h('div', { class: 'card risk-refit' }, h('h2', {}, t('risk.refit.heading')), h('p', { class: 'muted' }, t('risk.refit.explain')));
  const out = h('div', { 'aria-live': 'polite' });
  const propose = h('button', { type: 'button', class: 'secondary' }, t('risk.refit.propose'));
  propose.addEventListener('click', async () => {
    let p;
    try { p = await api.get('/risk-rules/refit'); } catch (e) { toast(e.plain()); return; }
    const changed = p.rules.filter((r) => r.proposed !== r.weight);
    const summary = h('p', {}, p.examples
      ? t('risk.refit.summary', { n: p.examples, before: p.agree_before, after: p.agree_after })
      : t('risk.refit.none'));
    const apply = h('button', { type: 'button', class: 'primary', hidden: !changed.length }, t('risk.refit.apply'));
    apply.addEventListener('click', async () => {
      try { await api.post('/risk-rules/refit', {}); toast(t('app.saved')); await reload(); } catch (e) { toast(e.plain()); }
    });
    out.replaceChildren(summary,
      p.examples && !changed.length ? h('p', {}, t('risk.refit.unchanged')) : '',
      changed.length ? table(t('risk.refit.heading'), [t('risk.rule.label'), t('risk.refit.now'), t('risk.refit.proposed'), t('risk.refit.cases')],
        changed.map((r) => [r.label, String(r.weight), String(r.proposed), String(r.examples)])) : '',
      h('div', { class: 'buttons' }, apply));
  });
  fit.append(h('div', { class: 'buttons' }, propose), out);

  return h('div', {}, h('p', { class: 'muted' }, t('risk.rules.explain')),
    table(t('admin.risk'), [t('fieldname.factor'), t('fieldname.pattern'), t('fieldname.weight'), t('risk.rule.label'),
      t('risk.rule.state'), t('review.updated'), t('kb.actions')], rows),
    form, fit);
}
