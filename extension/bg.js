// Thin loader for the Rust/wasm background core (crates/extension).
// Every Chrome listener is registered synchronously here so events can wake the worker;
// events that arrive before the wasm module is ready are queued, then delivered in order.
import init, { start, on_chrome_event } from './pkg/extension.js';

const queue = [];
let ready = false;
const deliver = (kind) => (...args) => {
  if (ready) on_chrome_event(kind, args);
  else queue.push([kind, args]);
};

chrome.alarms.onAlarm.addListener(deliver('alarm'));
chrome.runtime.onStartup.addListener(deliver('startup'));
chrome.runtime.onInstalled.addListener(deliver('startup'));
chrome.storage.onChanged.addListener(deliver('storage'));
chrome.debugger.onEvent.addListener(deliver('debuggerEvent'));
chrome.debugger.onDetach.addListener(deliver('debuggerDetach'));
chrome.tabs.onRemoved.addListener(deliver('tabRemoved'));
chrome.tabs.onUpdated.addListener(deliver('tabUpdated'));
chrome.downloads.onCreated.addListener(deliver('downloadCreated'));
chrome.downloads.onChanged.addListener(deliver('downloadChanged'));

init({ module_or_path: chrome.runtime.getURL('pkg/extension_bg.wasm') })
  .then(() => start())
  .then(() => {
    ready = true;
    for (const [kind, args] of queue.splice(0)) on_chrome_event(kind, args);
  })
  .catch((e) => console.error('opendevbrowser: background core failed to start', e));
