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
