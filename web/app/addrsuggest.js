// Address autocomplete on an address box (the operator's intake console): as the operator
// types, candidates from the address register (GET /geocode/suggest) appear under the box;
// Enter takes the best one (or the one chosen with the arrow keys), which puts the point on the
// map and names its grid. When nothing in the register matches, the list says so and offers
// the nearest addresses (same road, nearest house numbers), which are taken only by choosing.
import { t } from './i18n.js';
import { api } from './api.js';
import { h, clear, uid } from './ui.js';

const SHOW_MAX = 8;
const MATCHES = new Set(['exact', 'contains', 'prefix']);

function label(x) {
  return x.kind === 'place' && x.name && x.name !== x.address
    ? x.name + t('p.paren', { x: x.address }) : x.address;
}

// `input`: the address box; `onPick(item)` puts the point; `onUnpick()` when the text is changed
// after a pick (the point taken from the register no longer says where the text says).
export function addressAutocomplete(input, { onPick, onUnpick }) {
  const listId = uid('addr-ac');
  const list = h('ul', { class: 'addr-results', id: listId, role: 'listbox', 'aria-label': t('geo.suggest.results'), hidden: true });
  const note = h('p', { class: 'hint addr-note', 'aria-live': 'polite' });
  const picked = h('p', { class: 'addr-picked', 'aria-live': 'polite', hidden: true });
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', listId);
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('autocomplete', 'off');
  let items = [];
  let active = -1;
  let matched = false;
  let timer = null;
  let seq = 0;
  let pickedText = null;
  // Typed but not answered yet: an Enter meanwhile waits for the answer instead of taking a
  // candidate of an earlier prefix (or sending the form).
  let pending = false;
  let enterWanted = false;

  function close() {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }
  function mark() {
    [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
    if (active >= 0) input.setAttribute('aria-activedescendant', `${listId}-${active}`);
  }
  function take(x) {
    close();
    note.textContent = '';
    input.value = x.address;
    pickedText = x.address;
    picked.textContent = x.grid_name
      ? t('geo.suggest.picked', { address: label(x), grid: x.grid_name })
      : t('geo.suggest.picked.nogrid', { address: label(x) });
    picked.dataset.grid = x.grid_code || '';
    picked.hidden = false;
    onPick(x);
  }
  function show(found) {
    items = found.slice(0, SHOW_MAX);
    matched = items.length > 0 && MATCHES.has(items[0].match);
    active = matched ? 0 : -1;
    clear(list, items.map((x, i) => h('li', { role: 'option', id: `${listId}-${i}`, 'aria-selected': 'false',
      onmousedown: (e) => { e.preventDefault(); take(x); } },
      label(x), x.grid_name ? h('span', { class: 'muted' }, ' · ', x.grid_name) : null)));
    mark();
    list.hidden = !items.length;
    input.setAttribute('aria-expanded', String(items.length > 0));
    note.textContent = !items.length ? t('geo.suggest.empty') : matched ? '' : t('geo.suggest.none');
    if (enterWanted && matched) take(items[0]);
    enterWanted = false;
  }
  async function ask() {
    const q = input.value.trim();
    const my = ++seq;
    if (!q) { close(); note.textContent = ''; pending = enterWanted = false; return; }
    try {
      const r = await api.get('/geocode/suggest', { q });
      if (my === seq) { pending = false; if (document.activeElement === input) show(r.items || []); }
    } catch {
      if (my === seq) { pending = enterWanted = false; close(); note.textContent = t('geo.suggest.unavailable'); }
    }
  }
  input.addEventListener('input', () => {
    if (pickedText !== null && input.value !== pickedText) {
      pickedText = null;
      picked.hidden = true;
      onUnpick();
    }
    clearTimeout(timer);
    pending = true;
    timer = setTimeout(ask, 120);
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.ctrlKey && pending && input.value.trim()) {
      e.preventDefault();
      enterWanted = true;
      return;
    }
    if (list.hidden) return;
    if (e.key === 'Escape') { e.preventDefault(); close(); return; }
    if (e.key === 'Enter' && !e.ctrlKey) {
      // With the list open, Enter takes a candidate and never sends the form.
      e.preventDefault();
      if (active >= 0) take(items[active]);
      return;
    }
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = items.length;
      active = active < 0 ? (e.key === 'ArrowDown' ? 0 : n - 1) : (active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      mark();
    }
  });
  return {
    el: h('div', { class: 'addr-ac' }, list, note, picked),
    reset() {
      clearTimeout(timer); seq++; close(); note.textContent = ''; picked.hidden = true;
      pickedText = null; items = []; pending = enterWanted = false;
    },
  };
}
