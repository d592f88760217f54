// The operator's intake console: keyboard first. Alt+N starts a new call, Ctrl+Enter submits,
// Alt+1 takes the suggested category. Suggestions (category, department, urgency, why) and
// duplicate candidates update as the operator types; a duplicate is one click to merge.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, checkbox, showError, clearErrors, formBody, toast } from '../ui.js';
import { categoryPicker } from '../pickers.js';
import { locationPicker } from './report.js';
import { addressAutocomplete } from '../addrsuggest.js';
import { triagePanel, dupFacts } from './triage.js';
import { callerHistory } from './history.js';
import { knowledgePanel } from './knowledge.js';
import { KINDS } from './queues.js';

// The case's body from the call; the title, when left out, is the description's start.
const FIELDS = [
  { name: 'description', required: true },
  { name: 'title' },
  { name: 'name', key: 'citizen.name' },
  { name: 'phone', key: 'citizen.phone' },
  { name: 'category', type: 'int' },
  { name: 'urgency' },
  { name: 'kind' },
  { name: 'address' },
  // Published through Open311 only when the caller agrees (asked on the call; default no).
  { name: 'public', type: 'bool', empty: 'omit' },
];
// A consultation answered on the call: the answer action's note.
const ANSWER = [{ name: 'answer', key: 'note', required: true }];

export async function intake({ title: heading, onCleanup }) {
  const phone = h('input', { type: 'tel', name: 'phone', autocomplete: 'off', inputmode: 'tel', maxlength: 20 });
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'off', maxlength: 50 });
  const title = h('input', { type: 'text', name: 'title', maxlength: 200 });
  const desc = h('textarea', { name: 'description', rows: 5, maxlength: 5000 });
  const cat = await categoryPicker();
  const urg = select([['', '—'], ['normal', t('urgency.normal')], ['urgent', t('urgency.urgent')], ['emergency', t('urgency.emergency')]], { name: 'urgency' });
  const kind = select(KINDS.map((k) => [k, t('kind.' + k)]), { name: 'kind' });
  const consult = checkbox(t('field.consult'), 'consult', false);
  const history = callerHistory();
  phone.addEventListener('input', () => history.lookup(phone.value));
  // Answering on the call is for consultations: the box and the kind agree.
  kind.addEventListener('change', () => {
    consult.querySelector('input').checked = kind.value === 'consult';
    answerField.hidden = kind.value !== 'consult';
  });
  const pub = checkbox(t('field.public'), 'public', false);
  const answer = h('textarea', { name: 'answer', rows: 3 });
  const answerField = field(t('field.answer'), answer, { names: ['note'] });
  answerField.hidden = true;
  consult.querySelector('input').addEventListener('change', (e) => {
    answerField.hidden = !e.target.checked;
    if (e.target.checked) kind.value = 'consult';
  });
  const loc = locationPicker();
  // The address box completes from the register: Enter takes the best candidate and its point.
  const addrInput = loc.el.querySelector('input[name=address]');
  const ac = addressAutocomplete(addrInput, {
    onPick: (x) => loc.set(x.lat, x.lon),
    onUnpick: () => loc.set(null, null),
  });
  addrInput.after(ac.el);
  const result = h('div', { class: 'intake-result', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', 'aria-keyshortcuts': 'Control+Enter' }, t('intake.submit'));

  const panel = triagePanel({
    // The place and the chosen kind count for duplicates as much as the words.
    input: () => ({ title: title.value.trim(), description: desc.value.trim(), ...loc.value(),
      ...(cat.value ? { category: Number(cat.value) } : {}) }),
    onCategory: (id, dep) => { cat.value = String(id); void dep; },
    onUrgency: (lvl) => { urg.value = lvl; },
    onMerge: (d) => submitCase(d),
  });
  desc.addEventListener('input', panel.schedule);
  // Answers from the knowledge base for a consultation: one click fills the 直接答复.
  const kb = knowledgePanel({ onUse: (a) => {
    kind.value = 'consult';
    consult.querySelector('input').checked = true;
    answerField.hidden = false;
    answer.value = a.body;
    answer.focus();
  } });
  desc.addEventListener('input', () => kb.schedule(desc.value));
  title.addEventListener('input', panel.schedule);

  const form = h('form', { class: 'form intake-form', novalidate: true },
    h('div', { class: 'cols' },
      field(t('field.phone'), phone, { names: ['citizen.phone', 'phone'] }),
      field(t('field.name'), name, { names: ['citizen.name', 'name'] })),
    field(t('field.description'), desc, { names: ['description'], required: true }),
    field(t('field.title'), title, { names: ['title'], hint: t('field.title.hint') }),
    h('div', { class: 'cols' },
      cat.wrap,
      field(t('field.urgency'), urg, { names: ['urgency'] }),
      field(t('field.kind'), kind, { names: ['kind'] })),
    loc.el, pub, consult, answerField,
    h('div', { class: 'buttons' }, submit),
    h('p', { class: 'hint' }, t('intake.keys')));

  // Create the case; with `master`, merge it into that duplicate at once; with the consultation
  // box ticked, answer and close it on the call.
  async function submitCase(master) {
    clearErrors(form);
    const isConsult = form.consult.checked;
    let body;
    let answerBody;
    try {
      body = { ...formBody(form, FIELDS), channel: 'hotline' };
      if (isConsult) answerBody = formBody(form, ANSWER);
    } catch (e) { showError(form, e); return; }
    body.title = body.title || body.description.slice(0, 30);
    const l = loc.value();
    if (l.lat !== undefined) { body.lat = l.lat; body.lon = l.lon; }
    submit.disabled = true;
    let c;
    try {
      c = await api.post('/cases', body);
    } catch (e) {
      submit.disabled = false;
      showError(form, e);
      return;
    }
    submit.disabled = false;
    let msg = t('intake.created', { number: c.number, code: c.check_code || '' });
    try {
      if (master) {
        c = await api.action(c.id, { action: 'merge', version: c.version, master: master.id });
        msg += t('p.semi') + t('intake.merged', { number: master.number });
      } else if (isConsult) {
        const art = kb.chosen();
        c = await api.action(c.id, { action: 'answer', version: c.version, ...answerBody, ...(art ? { article: art.id } : {}) });
        msg += t('p.semi') + (art ? t('intake.answered.article', { title: art.title }) : t('intake.answered'));
      }
    } catch (e) {
      msg += t('p.semi') + e.plain();
    }
    showResult(c, msg);
  }

  function showResult(c, msg) {
    const dups = (c.triage && c.triage.duplicates) || [];
    clear(result, h('section', { class: 'card done', role: 'status', 'data-created': c.id },
      h('p', {}, msg, ' ', h('a', { href: `#/case/${c.id}` }, t('queue.open'))),
      c.state === 'new' && dups.length ? h('ul', { class: 'dups' }, dups.slice(0, 5).map((d) => h('li', {},
        `${d.number} ${d.title} `, h('span', { class: 'muted' }, dupFacts(d)), ' ',
        h('button', { type: 'button', class: 'small', onclick: async (ev) => {
          ev.target.disabled = true;
          try {
            const m = await api.action(c.id, { action: 'merge', version: c.version, master: d.id });
            showResult(m, t('intake.merged', { number: d.number }));
          } catch (e) { toast(e.plain()); ev.target.disabled = false; }
        } }, t('triage.merge.after'))))) : null,
      h('button', { type: 'button', onclick: reset, 'aria-keyshortcuts': 'Alt+N' }, t('intake.new'))));
    toast(msg);
    form.reset();
    cat.reset();
    loc.reset();
    ac.reset();
    history.reset();
    kb.reset();
    answerField.hidden = true;
    panel.update();
  }

  function reset() {
    form.reset();
    cat.reset();
    loc.reset();
    ac.reset();
    clearErrors(form);
    clear(result);
    history.reset();
    kb.reset();
    answerField.hidden = true;
    panel.update();
    phone.focus();
  }

  form.addEventListener('submit', (ev) => { ev.preventDefault(); submitCase(null); });
  const onKey = (ev) => {
    if (ev.ctrlKey && ev.key === 'Enter') { ev.preventDefault(); submitCase(null); }
    else if (ev.altKey && (ev.key === 'n' || ev.key === 'N')) { ev.preventDefault(); reset(); }
    else if (ev.altKey && ev.key === '1' && panel.last && panel.last.category) {
      ev.preventDefault(); cat.value = String(panel.last.category.id);
    }
  };
  document.addEventListener('keydown', onKey);
  onCleanup(() => document.removeEventListener('keydown', onKey));
  panel.update();
  setTimeout(() => { loc.invalidate(); phone.focus(); }, 50);
  return h('div', { class: 'intake' }, h('h1', {}, heading),
    h('div', { class: 'intake-grid' }, h('div', {}, result, form), h('aside', {}, history.el, kb.el, panel.el)));
}
