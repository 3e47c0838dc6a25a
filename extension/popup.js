// Popup: edits the settings in chrome.storage.local (the background core reacts to the
// change) and shows the live status the core writes to chrome.storage.session.
const $ = (id) => document.getElementById(id);
const FLAGS = ['autoConnect', 'autoPair', 'pairingEnabled'];
let status = null;

function render() {
  const el = $('status');
  if (!status) { el.textContent = 'background core not running yet'; return; }
  let line = status.headline;
  if (status.state === 'retrying' && status.retryAt) {
    const secs = Math.max(0, Math.ceil((status.retryAt - Date.now()) / 1000));
    line += `, retrying in ${secs} s`;
  }
  el.textContent = line;
  el.className = `status ${status.state}`;
}

async function load() {
  const s = await chrome.storage.local.get([...FLAGS, 'relayPort', 'pairingToken']);
  for (const f of FLAGS) $(f).checked = s[f] !== false;
  $('relayPort').value = Number.isInteger(s.relayPort) ? s.relayPort : '';
  $('pairingToken').value = s.pairingToken || '';
  $('pairingToken').disabled = $('autoPair').checked;
  status = (await chrome.storage.session.get('relayStatus')).relayStatus || null;
  render();
}

for (const f of FLAGS) {
  $(f).addEventListener('change', () => {
    chrome.storage.local.set({ [f]: $(f).checked });
    $('pairingToken').disabled = $('autoPair').checked;
  });
}
$('relayPort').addEventListener('change', () => {
  const port = Number($('relayPort').value);
  chrome.storage.local.set({ relayPort: Number.isInteger(port) && port > 0 && port < 65536 ? port : 8787 });
});
$('pairingToken').addEventListener('change', () => {
  chrome.storage.local.set({ pairingToken: $('pairingToken').value.trim() || null });
});
$('reconnect').addEventListener('click', () => {
  chrome.storage.local.set({ autoConnect: true });
  chrome.storage.session.set({ reconnectRequest: Date.now() });
});
// Agents driving tabs of their own: the tab groups the core made for them, with their tabs.
async function renderAgents() {
  const made = (await chrome.storage.session.get('agentGroups')).agentGroups || {};
  const groups = await chrome.tabGroups.query({});
  const tabs = await chrome.tabs.query({});
  const list = $('agents');
  list.replaceChildren();
  for (const g of groups.filter((g) => made[g.id])) {
    const item = document.createElement('li');
    item.className = `agent ${g.color}`;
    const own = tabs.filter((t) => t.groupId === g.id).map((t) => t.title || t.url);
    item.textContent = `${g.title}: ${own.length} tab${own.length === 1 ? '' : 's'} (${own.join(', ')})`;
    list.append(item);
  }
  if (!list.children.length) list.innerHTML = '<li>none</li>';
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'session' && changes.relayStatus) { status = changes.relayStatus.newValue; render(); }
  if (area === 'session' && changes.agentGroups) renderAgents();
});
chrome.tabGroups.onRemoved.addListener(renderAgents);
chrome.tabGroups.onUpdated.addListener(renderAgents);
setInterval(render, 1000);
load();
renderAgents();
