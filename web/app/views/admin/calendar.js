// The working calendar: the weekly working days and hours, and the holidays and swapped workdays.
import { t } from '../../i18n.js';
import { api } from '../../api.js';
import { h, field, select, formBody } from '../../ui.js';
import { apiForm, table, rowButton } from './common.js';

const SETTINGS = [
  { name: 'workdays', type: 'list', of: 'int', empty: [] },
  { name: 'periods', empty: '' },
];
// The day goes in the path (PUT /calendar/days/{day}), the rest in the body.
const DAY = [
  { name: 'day', type: 'date', required: true },
  { name: 'kind' },
  { name: 'dname', key: 'name' },
];

export async function calendar(reload) {
  const now = new Date();
  const cal = await api.get('/calendar', { from: `${now.getFullYear()}-01-01`, to: `${now.getFullYear() + 1}-01-01` });
  const settings = apiForm(t('admin.calendar'), [
    field(t('admin.workdays'), h('input', { name: 'workdays', value: cal.workdays.join(',') }), { names: ['workdays'] }),
    field(t('admin.periods'), h('input', { name: 'periods', value: cal.periods }), { names: ['periods'] }),
  ], (f) => api.put('/calendar', formBody(f, SETTINGS)), reload);
  const day = apiForm(t('admin.add'), [
    field(t('admin.day'), h('input', { name: 'day', type: 'date' }), { names: ['day'], required: true }),
    field(t('admin.kind'), select([['holiday', t('admin.kind.holiday')], ['workday', t('admin.kind.workday')]], { name: 'kind' }), { names: ['kind'] }),
    field(t('admin.name'), h('input', { name: 'dname' }), { names: ['name'] }),
  ], (f) => { const { day: d, ...body } = formBody(f, DAY); return api.put(`/calendar/days/${d}`, body); }, reload);
  return h('div', { class: 'admin-cal' }, settings, day, table(t('admin.calendar'), [t('admin.day'), t('admin.kind'), t('admin.name'), ''],
    cal.days.map((d) => [d.day, t('admin.kind.' + d.kind), d.name || '',
      rowButton(t('app.delete'), `${t('app.delete')} ${d.day}`, () => api.del(`/calendar/days/${d.day}`), reload)])));
}
