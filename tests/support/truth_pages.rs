//! Test pages for "actions tell the truth": every field reports what the page itself saw
//! on `change` into `#out`, so a test asserts the page's state, not the hub's answer.

/// `/truth`: selects (one with a page that refuses one option), date-like, color and range
/// inputs, readonly and disabled fields, a textarea and a button. Each `change` appends
/// `id=value` (a multi-select's values joined by `+`, newlines as `\n`) as a line of `#out`.
pub const TRUTH: &str = r#"<!doctype html><html><head><title>Truth</title></head><body>
<h1>Actions tell the truth</h1>
<label for="color">Color</label>
<select id="color"><option value="r">Red</option><option value="g">Green</option><option value="b">Blue</option></select>
<label for="toppings">Toppings</label>
<select id="toppings" multiple><option>Cheese</option><option>Ham</option><option>Olives</option></select>
<label for="size">Size</label> <select id="size"><option>M</option><option>XL</option></select>
<label for="day">Day</label> <input id="day" type="date">
<label for="at">At</label> <input id="at" type="time">
<label for="when">When</label> <input id="when" type="datetime-local">
<label for="month">Month</label> <input id="month" type="month">
<label for="week">Week</label> <input id="week" type="week">
<label for="paint">Paint</label> <input id="paint" type="color">
<label for="volume">Volume</label> <input id="volume" type="range" min="0" max="50" step="5">
<label for="code">Code</label> <input id="code" readonly value="X-1">
<label for="locked">Locked</label> <input id="locked" disabled>
<label for="notes">Notes</label> <textarea id="notes"></textarea>
<button id="go">Go</button>
<pre id="out"></pre>
<script>
// The page refuses XL (it is out of stock) before anyone records the change.
size.addEventListener('change', () => { if (size.value === 'XL') size.value = 'M'; });
for (const el of document.querySelectorAll('select, input, textarea')) el.addEventListener('change', () => {
  const value = el.multiple ? [...el.selectedOptions].map((o) => o.value).join('+') : el.value;
  out.textContent += `${el.id}=${value.replace(/\n/g, '\\n')}\n`;
});
</script></body></html>"#;
