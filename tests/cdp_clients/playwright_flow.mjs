// One Playwright session through the hub's /cdp endpoint (connectOverCDP), as a user of
// Playwright would write it: evaluate on the page that is already open, goto, a download
// (waitForEvent('download')), newPage, fill and click, screenshot, close. Prints its
// findings as one JSON line (the last line).
// Usage: node playwright_flow.mjs <cdp-url> <site-base-url>
import { chromium } from 'playwright-core';
import { step, watchdog } from './steps.mjs';

const [cdpUrl, site] = process.argv.slice(2);
const findings = {};
watchdog(60);

const browser = await step('connect', () => chromium.connectOverCDP(cdpUrl, { timeout: 20000 }));
findings.version = browser.version();
const context = browser.contexts()[0];
const existing = context.pages();
findings.pagesAtConnect = existing.length;
const page = existing[0];
findings.evaluated = await step('evaluate', () => page.evaluate(() => 6 * 7));
await step('goto', () => page.goto(`${site}/second`));
findings.gotoTitle = await page.title();

await step('goto download', () => page.goto(`${site}/download`));
const [download] = await step('download', () =>
  Promise.all([page.waitForEvent('download', { timeout: 15000 }), page.click('text=Download report')]));
findings.downloadName = download.suggestedFilename();
findings.downloadUrl = download.url();
findings.downloadFailure = await step('download finished', () => download.failure());

const fresh = await step('newPage', () => context.newPage());
await step('goto form', () => fresh.goto(`${site}/form`));
await step('fill', () => fresh.fill('#name', 'Ada Lovelace'));
await step('click', () => Promise.all([fresh.waitForURL(/\/result/), fresh.click('button[type=submit]')]));
findings.submitted = (await fresh.textContent('body')).trim();
const shot = await step('screenshot', () => fresh.screenshot());
findings.screenshotPng = shot.subarray(1, 4).toString() === 'PNG' && shot.length > 1000;
await step('close page', () => fresh.close());
findings.pagesAfterClose = context.pages().length;
await step('disconnect', () => browser.close());
console.log(JSON.stringify(findings));
