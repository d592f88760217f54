// Administration: one tab per kind of organisation data, each drawn by its module in admin/
// (a list plus forms; rows edit in place). The table below is the tabs' order and titles.
import { t } from '../i18n.js';
import { clearCache } from '../api.js';
import { h, clear } from '../ui.js';
import { users } from './admin/users.js';
import { departments } from './admin/departments.js';
import { categories } from './admin/categories.js';
import { routing } from './admin/routing.js';
import { regions } from './admin/regions.js';
import { calendar } from './admin/calendar.js';
import { review } from './admin/review.js';
import { register } from './admin/register.js';
import { workers } from './admin/workers.js';
import { gridtasks } from './admin/gridtasks.js';
import { riskRules } from './admin/risk.js';

// key: the path segment (#/admin/<key>); title: its strings key; view(reload) draws the tab.
const TABS = [
  { key: 'users', title: 'admin.users', view: users },
  { key: 'departments', title: 'admin.departments', view: departments },
  { key: 'categories', title: 'admin.categories', view: categories },
  { key: 'routing', title: 'admin.routing', view: routing },
  { key: 'regions', title: 'admin.regions', view: regions },
  { key: 'calendar', title: 'admin.calendar', view: calendar },
  { key: 'review', title: 'admin.review', view: review },
  { key: 'register', title: 'admin.register', view: register },
  { key: 'workers', title: 'admin.workers', view: workers },
  { key: 'gridtasks', title: 'admin.gridtasks', view: gridtasks },
  { key: 'risk', title: 'admin.risk', view: riskRules },
];

export async function admin({ params, title }) {
  const tab = TABS.find((x) => x.key === params[0]) || TABS[0];
  const nav = h('nav', { class: 'tabs', 'aria-label': title }, h('ul', {}, TABS.map((x) => h('li', {},
    h('a', { href: `#/admin/${x.key}`, 'aria-current': x === tab ? 'page' : null }, t(x.title))))));
  const body = h('div', {});
  // After a save the tab is drawn again from fresh data (organisation lists are cached).
  const reload = async () => { clearCache(); clear(body, await tab.view(reload)); };
  await reload();
  return h('div', { class: 'admin' }, h('h1', {}, `${title} · ${t(tab.title)}`), nav, body);
}
