//! Test pages for typing as a person types and clicks that settle on what they caused.
//! Each page shows what it saw (`#out`, `#shown`, `#list`), so a test asserts the page's
//! own view.

/// `/typing`: a field that counts its key and input events into `#out`; a text area; a
/// contenteditable editor; a "terminal" the way xterm.js makes one (a transparent text
/// area that listens to keydown only and draws each key into `#shown`, typing nothing
/// into itself); a search form (Enter submits it to `/result`); a button.
pub const TYPING: &str = r#"<!doctype html><html><head><title>Typing</title>
<style>#term{position:relative;width:420px;height:90px;background:#111;color:#3f3;font-family:monospace}
#term textarea{position:absolute;left:0;top:0;width:2px;height:2px;opacity:0;padding:0;border:0;resize:none}
#shown{margin:0;white-space:pre}</style></head><body>
<h1>Typing</h1>
<label for="field">Counted</label> <input id="field">
<p id="out">keydown=0 keypress=0 beforeinput=0 input=0 keyup=0</p>
<label for="notes">Notes</label> <textarea id="notes"></textarea>
<div id="editor" contenteditable="true" role="textbox" aria-label="Editor" style="min-height:30px;border:1px solid #888"></div>
<div id="term"><textarea id="termin" aria-label="Terminal input" autocorrect="off" spellcheck="false"></textarea>
<pre id="shown">$ </pre></div>
<form action="/result" method="get"><label for="q">Search</label> <input id="q" name="name"></form>
<button id="plain" style="width:120px;height:30px">Plain button</button>
<script>
const counts = {keydown: 0, keypress: 0, beforeinput: 0, input: 0, keyup: 0};
for (const kind of Object.keys(counts)) field.addEventListener(kind, () => { counts[kind]++;
  out.textContent = Object.entries(counts).map(([k, n]) => `${k}=${n}`).join(' '); });
termin.addEventListener('keydown', (e) => { e.preventDefault();
  shown.textContent += e.key === 'Enter' ? '\n$ ' : e.key.length === 1 || e.key.length === 2 ? e.key : ''; });
</script></body></html>"#;

/// `/settle`: a link to `/second`, a link to `/slow` (answers after 5 s), a link to a file
/// (`/report.csv`, an attachment), a button that
/// changes nothing, one that adds five items 10 ms apart, one that pushes a history
/// entry, and one that opens an alert.
pub const SETTLE: &str = r#"<!doctype html><html><head><title>Settle</title></head><body>
<h1>Settle</h1>
<a href="/second">Go elsewhere</a>
<a href="/slow">Slow page</a>
<a href="/report.csv">Report file</a>
<button id="noop" style="width:120px;height:30px">Nothing</button>
<button id="grow" style="width:120px;height:30px">Grow</button>
<button id="push" style="width:120px;height:30px">Push</button>
<button id="alerting" style="width:120px;height:30px" onclick="alert('Hi!'); out.textContent = 'alert closed'">Alert</button>
<ul id="list"></ul>
<p id="out">nothing yet</p>
<script>
grow.addEventListener('click', () => { let n = 0;
  const step = () => { const li = document.createElement('li'); li.textContent = 'item ' + ++n; list.append(li);
    if (n < 5) setTimeout(step, 10); };
  step(); });
push.addEventListener('click', () => { history.pushState({}, '', '/settle#pushed'); });
</script></body></html>"#;
