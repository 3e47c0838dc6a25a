// Playwright and our storage-state files, both ways (tests/storage_e2e.rs):
//   node storage_state.mjs <chromium> <site> <state saved by opendevbrowser> <state to write>
// 1. A Playwright context loads our file and opens the account page (the site records
//    who it saw: `by=playwright`).
// 2. Playwright logs in as bob in a fresh context and saves its own state file, for
//    opendevbrowser to load.
import { chromium } from 'playwright-core';

const [executablePath, site, ours, theirs] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath, headless: true });
try {
  const loaded = await browser.newContext({ storageState: ours });
  const page = await loaded.newPage();
  await page.goto(`${site}/account?by=playwright`);
  await page.waitForFunction(() => document.body.dataset.seen === 'yes');

  const fresh = await browser.newContext();
  const login = await fresh.newPage();
  await login.goto(`${site}/account/login?user=bob`);
  await login.waitForFunction(() => localStorage.getItem('theme') === 'bob-dark');
  await fresh.storageState({ path: theirs });
  console.log(JSON.stringify({ ok: true }));
} finally {
  await browser.close();
}
