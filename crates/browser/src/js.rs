//! The JavaScript the hub runs in pages besides the element operation
//! (`element_js.rs`): the object `page.evaluate` runs on, the wait condition, the file
//! input lookup, and `page.evaluate`'s wrapper.
//!
//! Refs are not here: the hub holds them as the browser's backend node ids (`refs.rs`),
//! so nothing in the page points to them.

/// An object of the hub's in the page's heap, held by its remote object id (nothing on
/// `window` points to it), that `page.evaluate` without a ref runs on.
pub const REF_TABLE: &str = "({})";

/// `(sel, text, state) => bool`: whether a wait condition holds now. Text is `visible` /
/// `hidden` as the page shows it (`innerText`), `attached` / `detached` as the document
/// holds it (`textContent`, hidden text included); same-origin iframes count. Selectors
/// match in the top document.
pub const CONDITION: &str = r#"(sel, text, state) => {
  if (text) {
    const shownText = state === 'visible' || state === 'hidden';
    const has = (doc) => !!doc && ((doc.body && (shownText ? doc.body.innerText : doc.body.textContent).includes(text)) ||
      [...doc.querySelectorAll('iframe, frame')].some(f => { try { return has(f.contentDocument); } catch (e) { return false; } }));
    return has(document) === (state !== 'hidden' && state !== 'detached');
  }
  const el = document.querySelector(sel);
  const shown = !!el && (() => { const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0; })();
  if (state === 'hidden') return !shown;
  if (state === 'visible') return shown;
  if (state === 'detached') return !el;
  return !!el;
}"#;

/// `function () → <input type=file> | null`, called on an element, to get the input as a
/// remote object for `DOM.setFileInputFiles`.
pub const FILE_INPUT: &str = r#"function () {
  return this.isConnected && this.tagName === 'INPUT' && this.type === 'file' ? this : null;
}"#;

/// The function `page.evaluate` calls with `(onElement, args)`: on the element of a ref
/// (`onElement` true, `this` = the element) or on the ref table. `source` is an expression,
/// or a function called with the element (if any) and then `args`; promises are awaited. It
/// answers `{type, value}`, `{stale: true}` when the element is gone, or `{problem}` when a
/// ref was given but `source` is not a function. The caller's source is compiled by the
/// browser as part of this function (no `eval`, so the page's CSP does not block it).
pub fn evaluate(source: &str) -> String {
    format!(
        "async function (onElement, args) {{\n  const el = onElement ? this : undefined;\n  \
         if (onElement && !el.isConnected) return {{stale: true}};\n  const f = ({source}\n);\n  \
         let r;\n  if (typeof f === 'function') r = await f(...(onElement ? [el] : []), ...(args || []));\n  \
         else if (onElement) return {{problem: 'with a ref, the expression must be a function such as (el) => el.value'}};\n  \
         else r = await f;\n  \
         return {{type: r === null ? 'null' : Array.isArray(r) ? 'array' : typeof r, value: r}};\n}}"
    )
}

/// Builds `(<function>)(<json args>…)`.
pub fn call(function: &str, args: &[serde_json::Value]) -> String {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    format!("({function})({})", args.join(", "))
}
