// axe-core, the reading check and the width on every screen of the supervisor, the data officer
// and the administrator: the other half of screens.test.mjs's walk, in a file of its own so that
// both halves run at once (make browser runs two files at a time).
import { test, before, after } from 'node:test';
import { setupScreens, checkUsersScreens, OTHER_USERS } from './screens-fixture.mjs';

let srv;
let browser;
before(async () => { ({ srv, browser } = await setupScreens()); });
after(async () => { await browser?.close(); await srv?.stop(); });

test('axe-core: every screen of the supervisor, the data officer and the administrator', async () => {
  await checkUsersScreens(browser, srv, OTHER_USERS);
});
