//! Pages for the benchmarks (`crates/bench`).

/// `/bench-input`: a toggle button ("Toggle": each click flips its `aria-pressed` and
/// counts into `#clicks`) and a text field ("Note", echoed into `#echo` as it is typed).
/// Neither navigates, so an agent can click and type on it in a loop; the page shows what
/// it saw, for a check after the loop.
pub const BENCH_INPUT: &str = r#"<!doctype html><html><head><title>Bench input</title></head><body>
<h1>Bench input</h1>
<button id="toggle" aria-pressed="false" style="width:120px;height:40px">Toggle</button>
<p id="clicks">0 clicks</p>
<label for="note">Note</label> <input id="note">
<p id="echo"></p>
<script>
let count = 0;
toggle.addEventListener('click', () => { count++; toggle.setAttribute('aria-pressed', String(count % 2 === 1));
  document.getElementById('clicks').textContent = count + ' clicks'; });
note.addEventListener('input', () => { echo.textContent = note.value; });
</script></body></html>"#;
