//! Test pages for what real pages do to an agent: JavaScript dialogs, and (in time) uploads,
//! downloads, drag and drop, key chords. Each page writes its own result into `#out`, so a
//! test asserts what the page saw, not what the hub says it did.

/// `/dialogs`: buttons that open an alert, a confirm and a prompt, and write the answer.
pub const DIALOGS: &str = r#"<!doctype html><html><head><title>Dialogs</title></head><body>
<h1>Dialogs</h1>
<button onclick="alert('Saved!'); out.textContent = 'alert closed'">Alert</button>
<button onclick="out.textContent = confirm('Delete the card?') ? 'confirmed' : 'cancelled'">Confirm</button>
<button onclick="out.textContent = 'name=' + prompt('Your name?', 'Ada')">Prompt</button>
<p id="out">nothing yet</p>
</body></html>"#;

/// `/input`: a field that logs every keydown as a chord, a button that tells click,
/// double click and right click apart, a box that reports where it was clicked, and three
/// cards sorted by dragging them with the mouse (press, move, release).
pub const INPUT: &str = r#"<!doctype html><html><head><title>Input</title>
<style>.card{width:160px;height:40px;margin:8px;background:#cde;user-select:none}
#box{position:absolute;left:400px;top:40px;width:100px;height:100px;background:#fc9}</style></head><body>
<h1>Input</h1>
<input id="field" aria-label="Field">
<p id="keys">no keys</p>
<button id="target" style="width:120px;height:40px">Target</button>
<p id="clicks">no clicks</p>
<div id="box"></div>
<p id="spot">no spot</p>
<div id="cards"><div class="card" role="button" aria-label="Card A">A</div>
<div class="card" role="button" aria-label="Card B">B</div>
<div class="card" role="button" aria-label="Card C">C</div></div>
<p id="order">A,B,C</p>
<script>
field.addEventListener('keydown', (e) => { keys.textContent = [e.ctrlKey && 'Control', e.shiftKey && 'Shift',
  e.altKey && 'Alt', e.metaKey && 'Meta', e.key].filter(Boolean).join('+'); });
target.addEventListener('click', () => { clicks.textContent = 'click'; });
target.addEventListener('dblclick', () => { clicks.textContent = 'dblclick'; });
target.addEventListener('contextmenu', (e) => { e.preventDefault(); clicks.textContent = 'contextmenu'; });
box.addEventListener('click', (e) => { const r = box.getBoundingClientRect();
  spot.textContent = `box at ${Math.round(e.clientX - r.left)},${Math.round(e.clientY - r.top)}`; });
let held = null, moved = 0;
cards.addEventListener('mousedown', (e) => { held = e.target.closest('.card'); moved = 0; });
document.addEventListener('mousemove', () => { if (held) moved++; });
document.addEventListener('mouseup', (e) => {
  const over = document.elementFromPoint(e.clientX, e.clientY)?.closest('.card');
  if (held && over && over !== held && moved > 2) over.after(held);
  held = null;
  order.textContent = [...cards.querySelectorAll('.card')].map(c => c.textContent).join(',');
});
</script></body></html>"#;

/// `/forms`: text, select, checkbox and radio fields, a file input that echoes each file's
/// name and size, and a button that writes the whole form into `#out` (no navigation).
pub const FORMS: &str = r#"<!doctype html><html><head><title>Forms</title></head><body>
<h1>Forms</h1>
<label for="name">Name</label> <input id="name">
<label for="email">Email</label> <input id="email" type="email">
<label for="plan">Plan</label>
<select id="plan"><option value="free">Free</option><option value="pro">Pro plan</option></select>
<label><input type="checkbox" id="agree"> I agree</label>
<label><input type="radio" name="size" value="s" checked> Small</label>
<label><input type="radio" name="size" value="l"> Large</label>
<label for="file">Report</label> <input id="file" type="file" multiple>
<p id="files">no files</p>
<button id="save" onclick="out.textContent = JSON.stringify({name: document.getElementById('name').value,
  email: email.value, plan: plan.value, agree: agree.checked,
  size: document.querySelector('input[name=size]:checked').value})">Save</button>
<p id="out">unsaved</p>
<script>file.addEventListener('change', () => {
  files.textContent = [...file.files].map(f => `${f.name}:${f.size}`).join(' '); });</script>
</body></html>"#;

/// `/download`: a link to a report the server sends as an attachment.
pub const DOWNLOAD: &str = r#"<!doctype html><html><head><title>Download</title></head><body>
<h1>Reports</h1>
<a href="/report.csv">Download report</a>
</body></html>"#;

/// The report `/report.csv` serves (as `Content-Disposition: attachment`).
pub const REPORT_CSV: &str = "month,total\njan,42\nfeb,58\n";

/// `/widget`: a custom element with an open shadow root (a field and a button inside), and
/// a MutationObserver that counts every attribute change anywhere, shadow root included, so
/// a test can prove the hub's snapshot and clicks leave no trace in the page.
pub const WIDGET: &str = r#"<!doctype html><html><head><title>Widget</title></head><body>
<h1>Widget</h1>
<odb-widget></odb-widget>
<p id="out">untouched</p>
<script>
window.attributeChanges = 0;
const watch = (root) => new MutationObserver((m) => { window.attributeChanges += m.length; })
  .observe(root, {attributes: true, subtree: true});
customElements.define('odb-widget', class extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({mode: 'open'});
    root.innerHTML = '<input aria-label="Shadow field"><button style="width:120px;height:30px">Shadow button</button>';
    root.querySelector('button').addEventListener('click', () => {
      out.textContent = 'shadow clicked:' + root.querySelector('input').value; });
    watch(root);
  }
});
watch(document);
</script></body></html>"#;

/// `/login`: a sign-in form; `/welcome` greets a right password and refuses a wrong one.
pub const LOGIN: &str = r#"<!doctype html><html><head><title>Sign in</title></head><body>
<h1>Sign in</h1>
<form action="/welcome" method="get">
<label for="user">User</label> <input id="user" name="user">
<label for="password">Password</label> <input id="password" name="password" type="password">
<button type="submit">Sign in</button>
</form></body></html>"#;

/// What `/welcome` answers for `user` and `password`.
pub fn welcome(user: &str, password: &str) -> String {
    let line = if password == "secret" { format!("Welcome, {user}") } else { "Wrong password".to_owned() };
    format!(
        "<!doctype html><html><head><title>Welcome</title></head><body><h1>{line}</h1>\
             <a href=\"/dialogs\">Cards</a></body></html>"
    )
}

/// `/crossframe?other=<port>`: two iframes showing `/inner` from the site on `other`: one
/// on the same host (cross-origin, same site: in the page's process) and one on
/// `localhost` (another site: its own process and target).
pub fn crossframe(other: &str) -> String {
    format!(
        "<!doctype html><html><head><title>Cross</title></head><body><h1>Frames elsewhere</h1>\
         <iframe src=\"http://127.0.0.1:{other}/inner\" title=\"Second port\" style=\"width:400px;height:150px\"></iframe>\
         <iframe src=\"http://localhost:{other}/inner\" title=\"Other site\" style=\"width:400px;height:150px\"></iframe>\
         </body></html>"
    )
}

/// `/observe`: loads `/observe.js`, which logs a warning from a named function (line 3),
/// throws an uncaught error later (line 6), stores a theme in localStorage, sets a cookie
/// and POSTs to `/api/echo` with its own header; the page then says "echo done".
pub const OBSERVE: &str = r#"<!doctype html><html><head><title>Observe</title></head><body>
<p id="state">loading</p><script src="/observe.js"></script></body></html>"#;

/// The script of `/observe` (line numbers matter: the test reads them back).
pub const OBSERVE_JS: &str = "// observe.js
function warnNow(n) {
  console.warn('observe warn', n);
}
warnNow(7);
setTimeout(function later() { throw new Error('late boom'); }, 10);
localStorage.setItem('theme', 'dark');
document.cookie = 'seen=yes; path=/';
fetch('/api/echo', {method: 'POST', headers: {'X-Client': 'e2e', 'Content-Type': 'application/json'},
  body: JSON.stringify({ask: 'hello'})})
  .then(r => r.json())
  .then(j => { document.getElementById('state').textContent = 'echo done ' + j.client; });
";

/// What `/api/echo` answers: the request's `X-Client` header and body back as JSON, with
/// an `X-Server` header and a `session` cookie.
pub fn echo(client: &str, body: &str) -> String {
    serde_json::json!({"client": client, "got": body, "padding": "x".repeat(200)}).to_string()
}

/// `/big`: a large page (about 5,000 elements) for the snapshot benchmark: a data table,
/// a long form, nested lists, navigation, and a shadow-DOM widget with its own controls.
pub fn big_page() -> String {
    let mut html = String::from("<!doctype html><html><head><title>Big page</title></head><body>\n");
    html.push_str("<header><nav aria-label=\"Main\"><ul>");
    for i in 0..40 {
        html.push_str(&format!("<li><a href=\"/section/{i}\">Section {i}</a></li>"));
    }
    html.push_str("</ul></nav></header><main><h1>Quarterly report</h1>\n<table><caption>Orders</caption><thead><tr>");
    for h in ["Id", "Customer", "Item", "Qty", "Price", "Status"] {
        html.push_str(&format!("<th>{h}</th>"));
    }
    html.push_str("</tr></thead><tbody>\n");
    for r in 0..300 {
        html.push_str(&format!(
            "<tr><td>{r}</td><td>Customer {r}</td><td>Item {}</td><td>{}</td><td>{}.00</td>\
             <td><button>Ship {r}</button></td></tr>\n",
            r % 17,
            r % 9 + 1,
            r * 3 % 100
        ));
    }
    html.push_str("</tbody></table>\n<form aria-label=\"Settings\"><h2>Settings</h2>\n");
    for f in 0..120 {
        html.push_str(&format!(
            "<p><label for=\"f{f}\">Field {f}</label> <input id=\"f{f}\" name=\"f{f}\" placeholder=\"value {f}\"> \
             <label><input type=\"checkbox\" name=\"c{f}\"> Enable {f}</label></p>\n"
        ));
    }
    html.push_str("<select aria-label=\"Region\">");
    for o in 0..50 {
        html.push_str(&format!("<option>Region {o}</option>"));
    }
    html.push_str("</select><button type=\"submit\">Save settings</button></form>\n<section><h2>Catalogue</h2><ul>");
    for a in 0..40 {
        html.push_str(&format!("<li>Group {a}<ul>"));
        for b in 0..12 {
            html.push_str(&format!("<li><span>Entry {a}.{b}</span> <a href=\"/entry/{a}/{b}\">open</a></li>"));
        }
        html.push_str("</ul></li>");
    }
    html.push_str("</ul></section>\n<div id=\"widget\"></div></main>\n<script>\n\
        const root = document.getElementById('widget').attachShadow({mode: 'open'});\n\
        let inner = '<h2>Widget</h2>';\n\
        for (let i = 0; i < 60; i++) inner += `<p>Row ${i} <button>Act ${i}</button> <input aria-label=\"Note ${i}\"></p>`;\n\
        root.innerHTML = inner;\n</script></body></html>");
    html
}

/// `/waits`: what `nav.wait` is tested against: a shown paragraph, one not displayed, one
/// invisible, and three buttons the oracle leaves, hides and removes after a snapshot.
pub const WAITS: &str = r#"<!doctype html><html><head><title>Waits</title></head><body>
<h1>Waits</h1>
<p id="shown">Shown words</p>
<p id="undisplayed" style="display:none">Undisplayed words</p>
<p id="invisible" style="visibility:hidden">Invisible words</p>
<button id="stays">Stays</button>
<button id="hides">Gets hidden</button>
<button id="goes">Gets removed</button>
</body></html>"#;

/// `/reads`: what the `dom.*` reads and the scrolls are tested against: enabled and
/// disabled controls (a `disabled` button and field, an `aria-disabled` button),
/// checkboxes and radios either way, a scrollable box, and a button far below the fold.
pub const READS: &str = r#"<!doctype html><html><head><title>Reads</title>
<style>#scroller{height:100px;width:300px;overflow:auto}</style></head><body>
<h1>Reads</h1>
<button id="on" data-kind="primary" title="Go now">Enabled button</button>
<button id="off" disabled>Disabled button</button>
<input id="locked" aria-label="Locked field" value="kept" disabled>
<div id="aria-off" role="button" aria-disabled="true" tabindex="0">Aria disabled</div>
<label><input type="checkbox" id="agree"> Agree</label>
<label><input type="checkbox" id="subscribed" checked> Subscribed</label>
<label><input type="radio" name="size" id="small" checked> Small</label>
<label><input type="radio" name="size" id="large"> Large</label>
<div id="scroller" role="region" aria-label="Scroller" tabindex="0"><p style="height:1000px">Tall content</p></div>
<div style="height:3000px"></div>
<button id="far">Far button</button>
</body></html>"#;
