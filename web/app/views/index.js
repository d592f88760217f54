export { login } from './login.js';
export { lookup } from './lookup.js';
export { report } from './report.js';
export { casePage } from './case.js';
export { intake } from './intake.js';
export { dashboard } from './dashboard.js';
export { admin } from './admin.js';
export { mine, callback, dispatch, workbench, supervise, allCases } from './queues.js';
