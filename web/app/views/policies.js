// The policy calculator and 免申即享 (issue 18 item 4, docs/services.md). Citizens enter a profile
// (or use the one they saved) and see every published policy with what they already meet and
// what is still missing (再满足：…), and the offers made to them without an application.
// Officials write a policy as a JSON rule, try it against a sample profile (试算) and publish it.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, choiceGroup, formBody, showError, clearErrors, toast, fmtTime } from '../ui.js';
import { regions } from '../data.js';

const PERSON = [
  { name: 'birth_date', type: 'date' }, { name: 'hukou_region_id', type: 'int', empty: null },
  { name: 'disability', type: 'int' }, { name: 'income_band', type: 'int' }, { name: 'children', type: 'int' },
];
const FIRM = [
  { name: 'industry' }, { name: 'size', empty: null }, { name: 'employees', type: 'int' }, { name: 'tax', type: 'int' },
  { name: 'registered_on', type: 'date' },
];

const money = (p) => t(`policy.period.${p.period}`, { amount: p.amount });

// The profile's controls for both subjects; the ones of the other subject are hidden (and so
// left out of the body by formBody).
async function profileControls(saved = {}) {
  const [streets, communities] = await Promise.all([regions('street'), regions('community')]);
  const hukou = select([['', t('policy.unset')], ...[...streets, ...communities].map((r) => [String(r.id), r.name])],
    { name: 'hukou_region_id', value: saved.hukou_region_id ?? '' });
  const num = (name, max) => h('input', { name, type: 'number', min: 0, max, step: 1, inputmode: 'numeric', value: saved[name] ?? '' });
  const person = h('div', { class: 'policy-person' },
    field(t('field.birth_date'), h('input', { type: 'date', name: 'birth_date', value: saved.birth_date ?? '' }), { names: ['birth_date'] }),
    field(t('field.hukou_region_id'), hukou, { names: ['hukou_region_id'] }),
    field(t('field.disability'), select([0, 1, 2, 3, 4].map((g) => [String(g), t(`policy.disability.${g}`)]),
      { name: 'disability', value: saved.disability ?? 0 }), { names: ['disability'] }),
    field(t('field.income_band'), num('income_band', 10), { names: ['income_band'], hint: t('policy.income_band.hint') }),
    field(t('field.children'), num('children', 20), { names: ['children'] }));
  const firm = h('div', { class: 'policy-firm', hidden: true },
    field(t('field.industry'), h('input', { name: 'industry', maxlength: 30, value: saved.industry ?? '' }), { names: ['industry'] }),
    field(t('field.size'), select([['', t('policy.unset')], ...['micro', 'small', 'medium', 'large'].map((s) => [s, t(`policy.size.${s}`)])],
      { name: 'size', value: saved.size ?? '' }), { names: ['size'] }),
    field(t('field.employees'), num('employees'), { names: ['employees'] }),
    field(t('field.tax'), num('tax'), { names: ['tax'] }),
    field(t('field.registered_on'), h('input', { type: 'date', name: 'registered_on', value: saved.registered_on ?? '' }), { names: ['registered_on'] }));
  const show = (subject) => { person.hidden = subject !== 'person'; firm.hidden = subject !== 'firm'; };
  return { el: h('div', {}, person, firm), show };
}

function subjectChoice(checked = 'person') {
  return choiceGroup(t('field.subject'), 'radio', 'subject',
    [['person', t('policy.subject.person')], ['firm', t('policy.subject.firm')]], { checked: [checked] });
}

const subjectOf = (form) => (form.querySelector('input[name=subject]:checked') || { value: 'person' }).value;
const profileBody = (form, subject) => formBody(form, subject === 'firm' ? FIRM : PERSON);

function explanation(r) {
  return h('div', { class: 'policy-why' },
    r.missing.length ? h('p', { class: 'policy-missing' }, t('policy.missing', { list: r.missing.join(t('policy.sep')) })) : null,
    r.met.length ? h('p', { class: 'muted' }, t('policy.met', { list: r.met.join(t('policy.sep')) })) : null);
}

// 政策计算器 (citizens).
export async function policyCalculator({ title }) {
  const root = h('div', { class: 'policies' });
  const results = h('section', { class: 'policy-results', 'aria-live': 'polite', 'aria-labelledby': 'pc-res' },
    h('h2', { id: 'pc-res' }, t('policy.results')));
  const offersBox = h('section', { class: 'card', 'aria-labelledby': 'pc-off' });
  let saved = {};
  try { saved = await api.get('/me/policy-profiles/person'); } catch { /* none saved yet */ }
  const controls = await profileControls(saved);
  const form = h('form', { class: 'form card', novalidate: true },
    h('p', { class: 'hint' }, t('policy.calc.intro')),
    subjectChoice(), controls.el,
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary' }, t('policy.calc.run')),
      h('button', { type: 'button', class: 'secondary', onclick: () => save() }, t('policy.calc.save'))));
  form.addEventListener('change', (ev) => { if (ev.target.name === 'subject') controls.show(subjectOf(form)); });

  async function drawOffers() {
    let items = [];
    try { items = (await api.get('/me/policy-offers')).items; } catch { /* not a citizen */ }
    clear(offersBox, h('h2', { id: 'pc-off' }, t('policy.offers')),
      items.length ? h('ul', {}, items.map((o) => h('li', { 'data-offer': o.id },
        h('strong', {}, o.policy), ' ', money(o), h('span', { class: 'muted' }, ' ', fmtTime(o.created_at)))))
        : h('p', { class: 'muted' }, t('policy.offers.none')));
  }
  async function save() {
    clearErrors(form);
    const subject = subjectOf(form);
    try {
      await api.put(`/me/policy-profiles/${subject}`, profileBody(form, subject));
      toast(t('app.saved'));
      await drawOffers();
    } catch (e) { showError(form, e); }
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const subject = subjectOf(form);
    try {
      const r = await api.post('/policy-calculator', { subject, profile: profileBody(form, subject) });
      clear(results, h('h2', { id: 'pc-res' }, t('policy.results')),
        r.items.length ? h('ul', { class: 'policy-list' }, r.items.map((p) => h('li', { class: 'card', 'data-policy': p.policy_id },
          h('h3', {}, p.name, ' ', h('span', { class: p.qualifies ? 'badge ok' : 'badge' }, t(p.qualifies ? 'policy.yes' : 'policy.no'))),
          h('p', {}, money(p)), p.summary ? h('p', { class: 'muted' }, p.summary) : null,
          explanation(p))))
          : h('p', { class: 'muted' }, t('policy.none')));
    } catch (e) { showError(form, e); }
  });
  clear(root, h('h1', {}, title), form, results, offersBox);
  await drawOffers();
  return root;
}

// The fields a rule compares (src/policy), with what each means.
const RULE_FIELDS = [['age', 'policy.f.age'], ['hukou_region', 'policy.f.hukou_region'], ['disability', 'field.disability'],
  ['income_band', 'field.income_band'], ['children', 'field.children'], ['industry', 'field.industry'], ['size', 'policy.f.size'],
  ['employees', 'field.employees'], ['tax', 'field.tax'], ['years_registered', 'policy.f.years_registered']];
const RULE_EXAMPLE = '{"all": [{"field": "age", "op": ">=", "value": 60}]}';

// 政策管理 (officials): the policies, a new one or an edit with its 试算, publishing.
export async function policyEditor({ title }) {
  const root = h('div', { class: 'policies' });
  const controls = await profileControls();
  let editing = null;
  const trialOut = h('div', { class: 'policy-trial', 'aria-live': 'polite' });
  const form = h('form', { class: 'form card', novalidate: true },
    h('h2', { id: 'pe-form' }, t('policy.edit.new')),
    field(t('policy.name'), h('input', { name: 'name', maxlength: 100 }), { names: ['name'], required: true }),
    field(t('field.summary'), h('textarea', { name: 'summary', rows: 2, maxlength: 2000 }), { names: ['summary'] }),
    subjectChoice(),
    field(t('policy.amount'), h('input', { name: 'amount', type: 'number', min: 0, step: 1 }), { names: ['amount'], required: true }),
    field(t('field.period'), select(['month', 'year', 'once'].map((p) => [p, t(`policy.period_name.${p}`)]), { name: 'period' }), { names: ['period'] }),
    // The rule is typed as JSON: its keys are written as they are (translate="no"), the words around them are ours.
    field(t('field.rule'), h('textarea', { name: 'rule', rows: 8, class: 'mono', translate: 'no', placeholder: RULE_EXAMPLE }),
      { names: ['rule'], required: true,
        hint: h('span', {}, t('policy.rule.hint1'), h('code', { translate: 'no' }, 'all / any / not'),
          t('policy.rule.hint2'), h('code', { translate: 'no' }, RULE_EXAMPLE), t('policy.rule.hint3')) }),
    h('details', { class: 'policy-fields' }, h('summary', {}, t('policy.fields')),
      h('ul', {}, RULE_FIELDS.map(([k, label]) => h('li', {}, h('code', { translate: 'no' }, k), ' ', t(label),
        k === 'size' ? h('code', { translate: 'no' }, 'micro / small / medium / large') : null)))),
    h('fieldset', { class: 'field' }, h('legend', {}, t('policy.trial.sample')), controls.el),
    trialOut,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', class: 'secondary', onclick: () => trial() }, t('policy.trial')),
      h('button', { type: 'submit', class: 'primary' }, t('app.save'))));
  form.addEventListener('change', (ev) => { if (ev.target.name === 'subject') controls.show(subjectOf(form)); });
  const SPEC = [{ name: 'name', required: true }, { name: 'summary', empty: '' }, { name: 'subject', required: true },
    { name: 'amount', type: 'int', required: true }, { name: 'period', required: true }, { name: 'rule', type: 'json', required: true }];

  async function trial() {
    clearErrors(form);
    const subject = subjectOf(form);
    try {
      const b = formBody(form, [{ name: 'rule', type: 'json', required: true }]);
      const r = await api.post('/policies/trial', { subject, rule: b.rule, profile: profileBody(form, subject) });
      clear(trialOut, h('p', {}, h('strong', {}, t(r.qualifies ? 'policy.yes' : 'policy.no')), ' ', r.rule_text), explanation(r));
    } catch (e) { showError(form, e); }
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const body = formBody(form, SPEC);
      if (editing) await api.put(`/policies/${editing}`, body);
      else await api.post('/policies', body);
      toast(t('app.saved'));
      editing = null;
      form.reset();
      form.querySelector('#pe-form').textContent = t('policy.edit.new');
      await drawList();
    } catch (e) { showError(form, e); }
  });
  const list = h('div', { class: 'table-wrap' });
  async function drawList() {
    const r = await api.get('/policies');
    clear(list, h('table', {}, h('caption', { class: 'sr-only' }, title),
      h('thead', {}, h('tr', {}, ['policy.name', 'field.subject', 'policy.amount', 'policy.rule_text', 'policy.status', 'policy.actions']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, r.items.map((p) => h('tr', { 'data-policy': p.id },
        h('td', {}, h('strong', {}, p.name)),
        h('td', {}, t(`policy.subject.${p.subject}`)),
        h('td', {}, money(p)),
        h('td', {}, p.rule_text),
        h('td', {}, t(`policy.status.${p.status}`)),
        h('td', {},
          h('button', { type: 'button', class: 'small secondary', 'aria-label': t('policy.edit.label', { name: p.name }),
            onclick: () => edit(p) }, t('policy.edit')),
          p.status === 'draft' ? h('button', { type: 'button', class: 'small', 'aria-label': t('policy.publish.label', { name: p.name }),
            onclick: async () => {
              try { await api.post(`/policies/${p.id}/publish`); toast(t('policy.published')); await drawList(); } catch (e) { toast(e.plain()); }
            } }, t('policy.publish')) : null))))));
  }
  function edit(p) {
    editing = p.id;
    form.querySelector('#pe-form').textContent = t('policy.edit.one', { name: p.name });
    form.elements.name.value = p.name;
    form.elements.summary.value = p.summary;
    form.querySelector(`input[name=subject][value=${p.subject}]`).checked = true;
    controls.show(p.subject);
    form.elements.amount.value = p.amount;
    form.elements.period.value = p.period;
    form.elements.rule.value = JSON.stringify(p.rule, null, 2);
    form.elements.name.focus();
  }
  await drawList();
  clear(root, h('h1', {}, title), list, form);
  return root;
}
