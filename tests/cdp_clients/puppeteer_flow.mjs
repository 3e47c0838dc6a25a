// One Puppeteer session through the hub's /cdp endpoint (puppeteer.connect), as a user of
// Puppeteer would write it: evaluate on the open page, goto, newPage, type and click,
// screenshot, close. Prints its findings as one JSON line (the last line).
// Usage: node puppeteer_flow.mjs <cdp-url> <site-base-url>
import puppeteer from 'puppeteer-core';
import { step, watchdog } from './steps.mjs';

const [cdpUrl, site] = process.argv.slice(2);
const findings = {};
watchdog(60);

const browser = await step('connect', () => puppeteer.connect({ browserWSEndpoint: cdpUrl, defaultViewport: null }));
findings.version = await step('version', () => browser.version());
const existing = await step('pages', () => browser.pages());
findings.pagesAtConnect = existing.length;
const page = existing[0];
findings.evaluated = await step('evaluate', () => page.evaluate(() => 6 * 7));
await step('goto', () => page.goto(`${site}/second`));
findings.gotoTitle = await page.title();

const fresh = await step('newPage', () => browser.newPage());
await step('goto form', () => fresh.goto(`${site}/form`));
await step('type', () => fresh.type('#name', 'Grace Hopper'));
await step('click', () => Promise.all([fresh.waitForNavigation(), fresh.click('button[type=submit]')]));
findings.submitted = await fresh.$eval('body', (b) => b.textContent.trim());
const shot = await step('screenshot', () => fresh.screenshot());
findings.screenshotPng = Buffer.from(shot).subarray(1, 4).toString() === 'PNG' && shot.length > 1000;
await step('close page', () => fresh.close());
findings.pagesAfterClose = (await browser.pages()).length;
await step('disconnect', () => browser.disconnect());
console.log(JSON.stringify(findings));
