// Playwright's own ARIA snapshot of a page, for the snapshot benchmark: connects over CDP
// to the browser, finds the tab showing <url>, takes `locator('body').ariaSnapshot()`
// <runs> times and prints one JSON line: {median_ms, min_ms, chars}.
// Usage: node aria_snapshot.mjs <cdp-http-url> <page-url> <runs>
import { chromium } from 'playwright-core';

const [cdpUrl, pageUrl, runs] = process.argv.slice(2);
const browser = await chromium.connectOverCDP(cdpUrl, { timeout: 20000 });
const page = browser.contexts().flatMap((c) => c.pages()).find((p) => p.url() === pageUrl);
if (!page) throw new Error(`no tab shows ${pageUrl}`);
await page.locator('body').ariaSnapshot(); // warm up, as the hub's side is warmed up
const times = [];
let text = '';
for (let i = 0; i < Number(runs); i++) {
  const started = performance.now();
  text = await page.locator('body').ariaSnapshot();
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: times[times.length >> 1], min_ms: times[0], chars: text.length }));
await browser.close().catch(() => {});
