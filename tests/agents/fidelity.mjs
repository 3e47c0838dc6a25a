// The Playwright and browser side of the snapshot_fidelity benchmark (crates/bench): connects
// over CDP to the browser the hub also drives and, for the tab showing a page, answers one
// JSON line per request read from stdin:
//   {"cmd":"prepare","url":U,"miniwob":true,"seed":S}  start the MiniWoB++ episode (seeded)
//   {"cmd":"measure","url":U,"runs":N}                   Playwright's snapshots (timed), the
//       elements it marks clickable (each tagged in the page with data-pw-ref=<its ref>), the
//       browser's accessibility tree of every frame (Accessibility.getFullAXTree) and the
//       page's visible text (innerText of every frame's body).
// Usage: node fidelity.mjs <cdp-http-url>   (playwright-core from tests/cdp_clients)
import { createRequire } from 'module';
import { createInterface } from 'readline';

const require = createRequire(new URL('../cdp_clients/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const browser = await chromium.connectOverCDP(process.argv[2], { timeout: 20000 });
const pageAt = (url) => browser.contexts().flatMap((c) => c.pages()).find((p) => p.url() === url);
const INTERACTIVE = new Set(['button', 'link', 'checkbox', 'radio', 'textbox', 'searchbox', 'combobox', 'listbox',
  'menuitem', 'menuitemcheckbox', 'menuitemradio', 'tab', 'switch', 'slider', 'spinbutton', 'treeitem', 'option']);

async function timed(runs, take) {
  await take(); // warm up, as the hub's side is warmed up
  const times = [];
  let text = '';
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    text = await take();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median_ms: times[times.length >> 1], min_ms: times[0], chars: text.length, text };
}

// Lines of the AI snapshot that Playwright offers as clickable: a ref and the pointer cursor,
// or a ref on an interactive role.
function clickables(ai) {
  const out = [];
  for (const line of ai.split('\n')) {
    const m = line.match(/^\s*- '?([a-zA-Z]+)(?: "((?:[^"\\]|\\.)*)")?(.*)$/);
    if (!m) continue;
    const ref = (m[3].match(/\[ref=([^\]]+)\]/) || [])[1];
    if (!ref) continue;
    const pointer = m[3].includes('[cursor=pointer]');
    if (pointer || INTERACTIVE.has(m[1])) out.push({ ref, role: m[1], name: m[2] || '', pointer });
  }
  return out;
}

async function axTrees(page) {
  const main = await page.context().newCDPSession(page);
  const { frameTree } = await main.send('Page.getFrameTree');
  const ids = [];
  const walk = (t) => { ids.push({ id: t.frame.id, url: t.frame.url }); (t.childFrames || []).forEach(walk); };
  walk(frameTree);
  const nodes = [];
  const take = (list) => {
    const byId = new Map(list.map((n) => [n.nodeId, n]));
    const text = (n, depth = 0) => {
      if (depth > 50) return '';
      if (n.role?.value === 'StaticText') return n.name?.value || '';
      return (n.childIds || []).map((c) => byId.get(c)).filter(Boolean).map((c) => text(c, depth + 1)).join(' ');
    };
    for (const n of list) {
      if (n.ignored) continue;
      const role = n.role?.value || '';
      if (['StaticText', 'InlineTextBox', 'LineBreak', 'RootWebArea'].includes(role)) continue;
      nodes.push({ role, name: n.name?.value || '', text: text(n).replace(/\s+/g, ' ').trim() });
    }
  };
  const done = new Set();
  for (const f of ids) {
    try {
      take((await main.send('Accessibility.getFullAXTree', { frameId: f.id })).nodes);
      done.add(f.url);
    } catch (e) { /* an out-of-process frame: its own session below */ }
  }
  for (const frame of page.frames().slice(1)) {
    if (done.has(frame.url())) continue;
    try {
      const s = await page.context().newCDPSession(frame);
      take((await s.send('Accessibility.getFullAXTree')).nodes);
      await s.detach();
    } catch (e) { /* not reachable */ }
  }
  await main.detach();
  return nodes;
}

async function handle(req) {
  let page = pageAt(req.url);
  // Playwright hears of a navigation someone else made through events: wait for them.
  for (let i = 0; !page && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    page = pageAt(req.url);
  }
  if (!page) throw new Error(`no tab shows ${req.url}`);
  if (req.cmd === 'prepare') {
    if (req.miniwob) {
      await page.waitForFunction(() => document.readyState === 'complete' && typeof core !== 'undefined' && !!core.cover_div);
      await page.evaluate((seed) => { Math.seedrandom(seed); core.EPISODE_MAX_TIME = 600000; core.startEpisodeReal(); }, req.seed);
    }
    if (req.waitText) await page.getByText(req.waitText).first().waitFor({ timeout: 10000 });
    return { ok: true };
  }
  const runs = req.runs || 5;
  const body = await timed(runs, () => page.locator('body').ariaSnapshot());
  const ai = await timed(runs, () => page.ariaSnapshot({ mode: 'ai' }));
  const marked = clickables(ai.text);
  // Each clickable element gets "=<ref>" in its data-pw attribute, and the ancestors it
  // takes its pointer cursor from (the box whose click handler it is part of) get "^<ref>".
  for (const c of marked) {
    try {
      await page.locator(`aria-ref=${c.ref}`).evaluate((el, r) => {
        const add = (e, token) => e.setAttribute('data-pw', `${e.getAttribute('data-pw') || ''} ${token}`.trim());
        add(el, `=${r}`);
        const view = el.ownerDocument.defaultView;
        for (let p = el.parentElement; p && view.getComputedStyle(p).cursor === 'pointer'; p = p.parentElement) add(p, `^${r}`);
      }, c.ref, { timeout: 2000 });
      c.tagged = true;
    } catch (e) {
      c.tagged = false;
    }
  }
  const ax = await axTrees(page);
  const texts = [];
  for (const frame of page.frames()) {
    try {
      texts.push(await frame.evaluate(() => (document.body ? document.body.innerText : '')));
    } catch (e) { /* detached */ }
  }
  return {
    ok: true,
    body: { median_ms: body.median_ms, min_ms: body.min_ms, chars: body.chars },
    ai: { median_ms: ai.median_ms, min_ms: ai.min_ms, chars: ai.chars, text: ai.text },
    clickables: marked,
    ax,
    innerText: texts,
  };
}

const lines = createInterface({ input: process.stdin });
console.log(JSON.stringify({ ready: true }));
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    answer = await handle(JSON.parse(line));
  } catch (e) {
    answer = { ok: false, error: String(e && e.message || e) };
  }
  console.log(JSON.stringify(answer));
}
await browser.close().catch(() => {});
