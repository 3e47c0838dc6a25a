// Reads a HAR file with a HAR library we did not write (har-validator, the HAR 1.2 JSON
// schema) for tests/network_e2e.rs:  node har_check.mjs <file.har>
// Prints {valid, entries, pages, urls, timed} or the validator's errors (exit 1).
import { readFileSync } from 'fs';
import { createRequire } from 'module';

const validator = createRequire(import.meta.url)('har-validator');
const har = JSON.parse(readFileSync(process.argv[2], 'utf8'));
try {
  await validator.har(har);
} catch (e) {
  console.log(JSON.stringify({ valid: false, errors: e.errors ?? String(e) }));
  process.exit(1);
}
const entries = har.log.entries;
console.log(JSON.stringify({
  valid: true,
  entries: entries.length,
  pages: har.log.pages.length,
  urls: entries.map(e => e.request.url),
  timed: entries.every(e => typeof e.time === 'number' && e.timings && typeof e.timings.wait === 'number'),
  bodies: entries.filter(e => typeof e.response.content.text === 'string').length,
}));
