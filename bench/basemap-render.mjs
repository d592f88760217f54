// The browser's side of bench/basemap.py: chromium draws given basemap tiles with the app's own
// drawTile (web/app/basemap.js) on a 256-pixel canvas at device pixel ratio 1 and 2, light and
// dark; prints per zoom the parse and draw time of a tile (mean, max over 5 rounds).
//   node bench/basemap-render.mjs '{"base":"http://127.0.0.1:8080","tiles":{"16":[[x,y],...]}}'
import { launch } from '../tests/browser/helper.mjs';

const spec = JSON.parse(process.argv[2]);
const browser = await launch();
const page = await (await browser.newContext()).newPage();
await page.goto(spec.base + '/#/login');
await page.locator('main h1').waitFor();
const rows = await page.evaluate(async (spec) => {
  const { drawTile, STYLES } = await import('/app/basemap.js');
  const out = [];
  for (const [z, tiles] of Object.entries(spec.tiles)) {
    const texts = await Promise.all(tiles.map(([x, y]) => fetch(`/api/v1/basemap/${z}/${x}/${y}`).then((r) => r.text())));
    for (const ratio of [1, 2]) {
      const c = document.createElement('canvas');
      c.width = c.height = 256 * ratio;
      const ctx = c.getContext('2d');
      const parse = [], draw = [];
      for (let round = 0; round < 5; round++) {
        for (const text of texts) {
          let t = performance.now();
          const d = JSON.parse(text);
          parse.push(performance.now() - t);
          t = performance.now();
          ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
          drawTile(ctx, d, Number(z), round % 2 ? STYLES.dark : STYLES.light);
          ctx.getImageData(0, 0, 1, 1); // wait for the drawing to be done, not only queued
          draw.push(performance.now() - t);
        }
      }
      const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      out.push({ z, ratio, tiles: texts.length, parse: mean(parse), draw: mean(draw), drawMax: Math.max(...draw) });
    }
  }
  return out;
}, spec);
console.log('| zoom | pixel ratio | tiles | parse ms a tile | draw ms a tile (mean / max) |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.z} | ${r.ratio} | ${r.tiles} | ${r.parse.toFixed(2)} | ${r.draw.toFixed(2)} / ${r.drawMax.toFixed(2)} |`);
await browser.close();
