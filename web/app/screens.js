// The screen registry: every screen of the web UI, once. The router, the navigation, each role's
// home screen, the screens' headings and the roles the admin can grant are all read from here.
//
//   path    the hash path; {id} is a number segment, {name} a word segment, {name?} an optional one
//   module  the file under views/ that draws it (loaded when the screen is first opened)
//   view    the function that module exports: view(ctx) returns the screen's root element
//   title   the strings key of the screen's heading (ctx.title holds it translated)
//   nav     the strings key of its navigation entry; screens without one are reached by links
//   roles   who sees it in the navigation; a role's home is the first screen listed for it
//   public  opens without signing in
//   badge   its navigation entry shows the unread message count
//
// Which data a screen may read or change is the server's decision (routes.c and the case
// policy), not this table's: `roles` only says whose navigation offers the screen.
import { t } from './i18n.js';

export const SCREENS = [
  { path: '/login', module: 'login', view: 'login', title: 'login.heading', public: true },
  { path: '/signin', module: 'signin', view: 'signin', title: 'signin.heading', public: true },
  // The grid worker's home: one task list (待核实, 待核查, 我的上报, 巡查) and 自行处置.
  { path: '/tasks', module: 'tasks', view: 'tasks', title: 'tasks.heading', nav: 'nav.tasks', roles: ['grid_worker'] },
  { path: '/report', module: 'report', view: 'report', title: 'report.heading', nav: 'nav.report', roles: ['citizen', 'grid_worker'] },
  { path: '/mine', module: 'queues', view: 'mine', title: 'mine.heading', nav: 'nav.mine', roles: ['citizen', 'grid_worker'] },
  { path: '/me', module: 'profile', view: 'profile', title: 'profile.heading', nav: 'nav.profile', roles: ['citizen'] },
  // 巡查: a grid worker's patrol on the phone (track, queued fixes, findings; docs/grid.md §3).
  { path: '/patrol', module: 'patrol', view: 'patrol', title: 'patrol.heading', nav: 'nav.patrol', roles: ['grid_worker'] },
  { path: '/intake', module: 'intake', view: 'intake', title: 'intake.heading', nav: 'nav.intake', roles: ['operator', 'admin'] },
  { path: '/callback', module: 'queues', view: 'callback', title: 'nav.callback', nav: 'nav.callback', roles: ['operator'] },
  { path: '/dispatch', module: 'queues', view: 'dispatch', title: 'nav.dispatch', nav: 'nav.dispatch', roles: ['dispatcher', 'admin'] },
  // 网格员派单地图: located cases, the grid workers smart dispatch suggests with reasons, accept / override.
  // 巡查监督: the patrols' coverage per grid on a day, the least covered grids, each worker's figures and tracks.
  { path: '/patrols', module: 'patrols', view: 'patrols', title: 'patrols.heading', nav: 'nav.patrols', roles: ['supervisor', 'dispatcher', 'data_officer', 'admin'] },
  { path: '/worker-map', module: 'workermap', view: 'workerMap', title: 'wm.heading', nav: 'nav.worker_map', roles: ['dispatcher', 'admin'] },
  { path: '/workbench', module: 'queues', view: 'workbench', title: 'nav.workbench', nav: 'nav.workbench', roles: ['handler'] },
  { path: '/supervise', module: 'queues', view: 'supervise', title: 'nav.supervise', nav: 'nav.supervise', roles: ['supervisor', 'admin'] },
  // 层级工单 (docs/grid.md §5): the cases at the caller's level of the ladder, forward and escalate.
  { path: '/ladder', module: 'ladder', view: 'ladderQueue', title: 'ladder.heading', nav: 'nav.ladder', roles: ['dispatcher', 'supervisor'] },
  { path: '/orders', module: 'orders', view: 'ordersList', title: 'order.list_heading', nav: 'nav.orders', roles: ['supervisor', 'handler'] },
  // 协办单: a department's sub-tasks (from dispatches and whistles) across cases.
  { path: '/assists', module: 'assists', view: 'assistsList', title: 'assist.list_heading', nav: 'nav.assists', roles: ['handler'] },
  // 预警中心 and 感知设备 (issue 16, docs/warning.md §7): the warnings to acknowledge, turn into
  // cases or dismiss; the sensing devices, their readings and the thresholds.
  { path: '/warnings', module: 'warnings', view: 'warnings', title: 'warn.heading', nav: 'nav.warnings', roles: ['supervisor', 'dispatcher', 'admin'] },
  { path: '/devices', module: 'devices', view: 'devices', title: 'device.heading', nav: 'nav.devices',
    roles: ['supervisor', 'dispatcher', 'data_officer', 'admin'] },
  { path: '/device/{id}', module: 'devices', view: 'devicePage', title: 'device.heading' },
  { path: '/dashboard', module: 'dashboard', view: 'dashboard', title: 'dash.heading', nav: 'nav.dashboard',
    roles: ['supervisor', 'data_officer', 'admin', 'dispatcher'] },
  { path: '/cases', module: 'queues', view: 'allCases', title: 'nav.cases', nav: 'nav.cases',
    roles: ['operator', 'dispatcher', 'supervisor', 'data_officer', 'admin', 'grid_worker', 'handler'] },
  // 15 分钟生活圈: facilities within a walk of a point or a community, and the communities that lack some.
  { path: '/service-circle', module: 'circle', view: 'serviceCircle', title: 'circle.heading', nav: 'nav.circle',
    roles: ['supervisor', 'data_officer', 'admin'] },
  // 政务数据资源目录 (issue 17, docs/data-sharing.md): search and the three lists for all staff; a dataset's
  // page with its fields, 导入 and 数据质量; the quality report per owner department.
  { path: '/catalog/{tab?}', module: 'catalog', view: 'catalog', title: 'cat.heading', nav: 'nav.catalog',
    roles: ['data_officer', 'supervisor', 'dispatcher', 'handler', 'admin'] },
  { path: '/dataset/{id}', module: 'catalog', view: 'datasetPage', title: 'cat.dataset_heading' },
  { path: '/data-quality', module: 'catalog', view: 'dataQuality', title: 'cat.quality_heading', nav: 'nav.data_quality',
    roles: ['data_officer', 'supervisor', 'admin'] },
  // 数据共享申请与授权 (issue 17): requests, my grants with the query page, the owner's 申请审批.
  { path: '/grants/{tab?}', module: 'grants', view: 'grants', title: 'grant.heading', nav: 'nav.grants',
    roles: ['data_officer', 'supervisor', 'dispatcher', 'handler', 'admin'] },
  { path: '/request-data/{id?}', module: 'grants', view: 'requestData', title: 'grant.request_heading' },
  { path: '/grant/{id}', module: 'grants', view: 'grantPage', title: 'grant.heading' },
  { path: '/assessment', module: 'assessment', view: 'assessment', title: 'assess.heading', nav: 'nav.assessment',
    roles: ['supervisor', 'data_officer', 'admin'] },
  { path: '/knowledge', module: 'knowledge', view: 'knowledgeBase', title: 'kb.base', nav: 'nav.knowledge',
    roles: ['operator', 'dispatcher', 'supervisor', 'admin'] },
  // Everyone's notifications; the navigation entry carries the unread count (main.js).
  { path: '/messages', module: 'messages', view: 'messages', title: 'msg.heading', nav: 'nav.messages', badge: true,
    roles: ['citizen', 'grid_worker', 'operator', 'dispatcher', 'handler', 'supervisor', 'data_officer', 'admin'] },
  { path: '/appeals', module: 'appeals', view: 'appeals', title: 'appeals.heading', nav: 'nav.appeals', roles: ['supervisor', 'admin'] },
  // The case page writes its own heading (the number is in it).
  { path: '/case/{id}', module: 'case', view: 'casePage', title: 'case.heading' },
  // The 交办单 of a case, laid out for printing on A4.
  { path: '/case/{id}/slip', module: 'case', view: 'slipPage', title: 'slip.heading' },
  { path: '/admin/{tab?}', module: 'admin', view: 'admin', title: 'admin.heading', nav: 'nav.admin', roles: ['admin'] },
  // 政策计算器 and 免申即享 (issue 18 item 4, docs/services.md): citizens' matches with what is missing;
  // officials write, try (试算) and publish policies.
  { path: '/policy-calculator', module: 'policies', view: 'policyCalculator', title: 'policy.calc.heading', nav: 'nav.policy_calc', roles: ['citizen'] },
  { path: '/policies', module: 'policies', view: 'policyEditor', title: 'policy.editor.heading', nav: 'nav.policies',
    roles: ['supervisor', 'data_officer', 'admin'] },
  // 居民议事 and 积分 (docs/participation.md): proposals and votes, a resident's points, the rules.
  { path: '/proposals', module: 'participate', view: 'proposals', title: 'proposals.heading', nav: 'nav.proposals', roles: ['citizen', 'supervisor', 'admin'] },
  { path: '/my-points', module: 'participate', view: 'myPoints', title: 'my_points.heading', nav: 'nav.my_points', roles: ['citizen'] },
  { path: '/points-rules', module: 'participate', view: 'pointsRules', title: 'points_rules.heading', nav: 'nav.points_rules', roles: ['supervisor', 'admin'] },
  // 公开征求意见 (docs/participation.md): public to read (the feedback is a public page); residents
  // comment, officials open consultations, answer comments and publish the summary.
  { path: '/consultations', module: 'consult', view: 'consultations', title: 'consult.heading', nav: 'nav.consultations',
    roles: ['citizen', 'supervisor', 'data_officer', 'admin'], public: true },
  { path: '/consultation/{id}', module: 'consult', view: 'consultation', title: 'consult.heading', public: true },
  // 我的办事, 事项目录 and 办件 (issue 18 item 3, docs/services.md): citizens apply for a 一件事 or an
  // item; officials keep the catalogue; department handlers decide their tasks.
  { path: '/services', module: 'services', view: 'myServices', title: 'svc.my.heading', nav: 'nav.services', roles: ['citizen'] },
  { path: '/service-catalogue', module: 'services', view: 'serviceCatalogue', title: 'svc.catalogue.heading', nav: 'nav.service_catalogue',
    roles: ['supervisor', 'data_officer', 'admin'] },
  { path: '/service-tasks', module: 'services', view: 'serviceTasks', title: 'svc.tasks.heading', nav: 'nav.service_tasks', roles: ['handler', 'admin'] },
  { path: '/lookup', module: 'lookup', view: 'lookup', title: 'lookup.heading', nav: 'nav.lookup', roles: ['citizen'], public: true },
  { path: '/decisions', module: 'decisions', view: 'decisions', title: 'decisions.heading', nav: 'nav.decisions', roles: ['citizen'], public: true },
];

// '/admin/{tab?}' -> /^\/admin(?:\/(\w+))?$/ ; the groups are the view's ctx.params.
function pattern(path) {
  const body = path.split('/').slice(1).map((seg) => {
    const m = seg.match(/^\{(\w+)(\?)?\}$/);
    if (!m) return '\\/' + seg;
    const group = m[1] === 'id' ? '(\\d+)' : '(\\w+)';
    return m[2] ? `(?:\\/${group})?` : '\\/' + group;
  });
  return new RegExp('^' + body.join('') + '$');
}
const COMPILED = SCREENS.map((s) => ({ screen: s, re: pattern(s.path) }));

// The screen a hash path opens, with its parameters; null when none does.
export function match(path) {
  for (const { screen, re } of COMPILED) {
    const m = path.match(re);
    if (m) return { screen, params: m.slice(1) };
  }
  return null;
}

// The view function of a screen (its module is fetched the first time; a failed fetch is a
// network error in the user's words).
export async function loadView(screen) {
  let mod;
  try { mod = await import(`./views/${screen.module}.js`); } catch (e) {
    throw Object.assign(e, { plain: () => t('err.network') });
  }
  return mod[screen.view];
}

// The navigation entries a user has, in registry order; the first is the user's home.
export function navFor(user) {
  if (!user) return [];
  return SCREENS.filter((s) => s.nav && s.roles.some((r) => user.roles.includes(r)));
}

// The path a link to the screen opens: its optional segments left out.
export function linkOf(screen) {
  return screen.path.replace(/\/\{\w+\?\}/g, '');
}

// Where '#/' goes: the user's first navigation entry; a signed-in user no row names gets the
// case list (whatever the server lets them see of it), nobody signed in the login.
export function homeFor(user) {
  const first = navFor(user)[0];
  return first ? linkOf(first) : user ? '/cases' : '/login';
}

// Every role a screen is offered to, in the order the registry first names it: the roles the
// web has screens for, hence the roles worth granting from the admin screen.
export function knownRoles() {
  return [...new Set(SCREENS.flatMap((s) => s.roles || []))];
}
