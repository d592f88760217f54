// One place to choose the language; views call t() and never hold literal text.
import { zhCN } from './strings.js';

const LANGS = { 'zh-CN': zhCN };
let table = zhCN;

export function setLang(code) { table = LANGS[code] || zhCN; }

// t('case.heading', {number: 1}) — unknown keys show the key itself, so a missing string is
// visible in the page rather than silently blank.
export function t(key, vars) {
  let s = table[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] ?? m));
  return s;
}

// Whether the table has the key (for lookups that fall back to a more general sentence).
export function has(key) { return key in table; }
