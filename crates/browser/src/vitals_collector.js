// The Web Vitals collector (crates/browser/src/vitals.rs): runs in every attached tab's
// documents, in the hub's own isolated world (the page cannot see or change it), and
// watches the browser's performance entries from the document's start (`buffered`).
// `globalThis.__odbVitals()` returns what it saw as plain data; the hub turns that into
// the report. Element descriptions are made when an entry arrives (the element may be
// gone later).
(() => {
  if (globalThis.__odbVitals) return;
  const describe = (node) => {
    if (!node || node.nodeType !== 1) return node && node.nodeType === 3 ? 'text in ' + describe(node.parentElement) : '(gone)';
    let d = node.localName;
    if (node.id) d += '#' + node.id;
    for (const c of [...node.classList].slice(0, 2)) d += '.' + c;
    const src = node.currentSrc || node.getAttribute('src');
    if (src) d += ' src=' + src.slice(0, 120);
    const text = (node.innerText || node.textContent || '').trim().replace(/\s+/g, ' ');
    if (text && !src) d += ' "' + (text.length > 40 ? text.slice(0, 40) + '…' : text) + '"';
    return d;
  };
  const seen = { lcp: null, shifts: [], events: [], interactions: new Set() };
  const watch = (type, keep, extra) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(keep)).observe({ type, buffered: true, ...extra });
    } catch (_) { /* an entry type this browser does not have */ }
  };
  watch('largest-contentful-paint', (e) => {
    seen.lcp = { ms: e.renderTime || e.loadTime || e.startTime, element: describe(e.element), url: e.url || null,
      size: e.size };
  });
  watch('layout-shift', (e) => {
    if (e.hadRecentInput) return;
    seen.shifts.push({ value: e.value, atMs: e.startTime,
      elements: (e.sources || []).map((s) => describe(s.node)) });
  });
  watch('event', (e) => {
    if (!e.interactionId) return;
    seen.interactions.add(e.interactionId);
    seen.events.push({ id: e.interactionId, event: e.name, element: describe(e.target), ms: e.duration, start: e.startTime,
      processingStart: e.processingStart, processingEnd: e.processingEnd });
    if (seen.events.length > 200) seen.events.sort((a, b) => b.ms - a.ms).length = 100;
  }, { durationThreshold: 16 });
  globalThis.__odbVitals = () => {
    const nav = performance.getEntriesByType('navigation')[0] || null;
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const resources = performance.getEntriesByType('resource');
    const lcpResource = seen.lcp && seen.lcp.url ? resources.find((r) => r.name === seen.lcp.url) : null;
    return {
      url: location.href,
      nav: nav && { start: nav.activationStart || 0, responseStart: nav.responseStart },
      fcpMs: fcp ? fcp.startTime : null,
      lcp: seen.lcp,
      lcpResource: lcpResource && { start: lcpResource.startTime, requestStart: lcpResource.requestStart,
        responseEnd: lcpResource.responseEnd },
      shifts: seen.shifts,
      events: seen.events,
      interactions: seen.interactions.size,
      blocking: resources.filter((r) => r.renderBlockingStatus === 'blocking')
        .map((r) => ({ url: r.name, kind: r.initiatorType, ms: r.duration })),
    };
  };
})();
