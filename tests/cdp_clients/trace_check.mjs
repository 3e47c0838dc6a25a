// Reads a Chrome performance trace with a trace engine we did not write (@paulirish/trace_engine,
// the engine of the DevTools Performance panel) for tests/perf_e2e.rs:  node trace_check.mjs <trace.json>
// The file is {"traceEvents": [...], "metadata": {...}} or a bare array of events.
// Prints {valid, events, navigations, lcp: {ms, nodeId, url}, cls, layoutShifts, renderBlocking, requests},
// or {valid: false, error} (exit 1) when the file or the engine fails.
// navigations counts the main-frame navigations the engine recognised; lcp, cls, layoutShifts and
// renderBlocking come from the engine's insights (LCPBreakdown, CLSCulprits, RenderBlocking) for the
// first of them; requests lists every network request it rebuilt from the trace.
import { readFileSync } from 'fs';
import * as Trace from '@paulirish/trace_engine';

// The engine expects a browser; it only needs DOMRect from it (see the package's README).
globalThis.DOMRect ??= class DOMRect {
  constructor(x = 0, y = 0, width = 0, height = 0) {
    Object.assign(this, { x, y, width, height });
  }
  get left() { return this.x + Math.min(0, this.width); }
  get right() { return this.x + Math.max(0, this.width); }
  get top() { return this.y + Math.min(0, this.height); }
  get bottom() { return this.y + Math.max(0, this.height); }
};

function fail(error) {
  console.log(JSON.stringify({ valid: false, error: String(error?.stack ?? error) }));
  process.exit(1);
}

let parsed;
try {
  const file = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const events = Array.isArray(file) ? file : file?.traceEvents;
  if (!Array.isArray(events)) throw new Error('no traceEvents array');
  const model = Trace.TraceModel.Model.createWithAllHandlers();
  await model.parse(events, { metadata: Array.isArray(file) ? {} : file.metadata ?? {}, isFreshRecording: false });
  parsed = model.parsedTrace(0);
  if (!parsed) throw new Error('the engine returned no parsed trace');
} catch (e) {
  fail(e);
}

const { Meta, LayoutShifts, NetworkRequests } = parsed.data;
const sets = [...(parsed.insights?.values() ?? [])];
const set = sets.find(s => s.navigation) ?? sets[0];
// An error in one of the insights read here fails the check (e.g. LCPBreakdown's "no frame metrics":
// no paint/load mark of the navigation came from a renderer the trace registered for its frame).
// Other insights are ignored; some of them fail on Node < 22 (no Iterator helpers).
for (const key of ['LCPBreakdown', 'CLSCulprits', 'RenderBlocking']) {
  if (set?.modelErrors[key]) fail(`${key} insight: ${set.modelErrors[key].stack ?? set.modelErrors[key]}`);
}
const lcp = set?.model.LCPBreakdown;
const cls = set?.model.CLSCulprits;
console.log(JSON.stringify({
  valid: true,
  events: parsed.traceEvents.length,
  // the navigations the engine computes insights for (main frame, with a frame and navigationId)
  navigations: Meta.mainFrameNavigations.filter(n => n.args.frame && n.args.data?.navigationId).length,
  lcp: {
    ms: lcp?.lcpMs ?? null,
    nodeId: lcp?.lcpEvent?.args.data?.nodeId ?? null,
    url: lcp?.lcpRequest?.args.data.url ?? null,
  },
  cls: cls ? cls.worstCluster?.clusterCumulativeScore ?? 0 : LayoutShifts.sessionMaxScore,
  layoutShifts: (cls?.clusters ?? LayoutShifts.clusters).flatMap(c => c.events).length,
  renderBlocking: (set?.model.RenderBlocking?.renderBlockingRequests ?? []).map(r => r.args.data.url),
  requests: NetworkRequests.byTime.map(r => r.args.data.url),
}));
