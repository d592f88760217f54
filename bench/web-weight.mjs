// What a browser downloads for each screen of the web UI, and how long until the screen is
// ready, over loopback against the real server (cold cache, one fresh context per screen).
// Usage: node bench/web-weight.mjs   (after make build web)
import { startServer, launch, loginPage } from '../tests/browser/helper.mjs';

const SCREENS = [
  ['citizen', '/report', '.pick-map.leaflet-container'],
  ['citizen', '/mine', 'main h1'],
  ['operator', '/intake', '.leaflet-container'],
  ['handler_cgj', '/workbench', 'main h1'],
  ['supervisor', '/dashboard', '.chart canvas'],
];

const srv = await startServer();
const browser = await launch();
try {
  console.log('| screen | role | requests | transferred (KiB) | decoded (KiB) | ready (ms) |');
  console.log('|---|---|---|---|---|---|');
  for (const [user, hash, ready] of SCREENS) {
    const page = await loginPage(browser, srv, user);
    // A new context per screen would log in again; instead clear the HTTP cache and count the
    // requests of a full reload of the screen.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.clearBrowserCache');
    let transferred = 0;
    let decoded = 0;
    let requests = 0;
    cdp.on('Network.loadingFinished', (e) => { transferred += e.encodedDataLength; requests++; });
    cdp.on('Network.dataReceived', (e) => { decoded += e.dataLength; });
    await page.goto('about:blank');
    const t0 = Date.now();
    await page.goto(srv.url + '/#' + hash);
    await page.locator(ready).first().waitFor();
    const ms = Date.now() - t0;
    await page.waitForTimeout(300);
    console.log(`| ${hash} | ${user} | ${requests} | ${(transferred / 1024).toFixed(0)} | ${(decoded / 1024).toFixed(0)} | ${ms} |`);
    await page.context().close();
  }
} finally {
  await browser.close();
  await srv.stop();
}
