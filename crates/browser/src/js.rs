//! The JavaScript the hub runs in pages: the snapshot walker that gives interactive
//! elements stable refs, and small functions acting on one ref.
//!
//! Refs leave no trace in the page: they live in a ref table ([`REF_TABLE`]) that the hub
//! creates in the page's JavaScript heap and holds by its remote object id. Nothing on
//! `window` or in the DOM points to it, so the site can neither see nor change it. The
//! walker and the ref functions run as methods of that table (`Runtime.callFunctionOn`,
//! `this` = the table): an element keeps its ref across snapshots of one document, and a
//! ref whose element left the page (or whose document was replaced) is stale.
//! Open shadow roots and same-origin iframes are walked as part of their page (their
//! elements get refs too, and coordinates are translated to the top viewport).
//! Cross-origin iframes are out of the page's reach: the hub walks them through the browser
//! (a ref table in an isolated world of that frame, or in the frame's own target), see
//! `frames.rs`.

/// The ref table: ref → element (weakly), element → ref, and the last ref issued.
pub const REF_TABLE: &str = "({byRef: new Map(), byEl: new WeakMap(), counter: 0})";

/// `function (opts) → {lines, url, title, refCount, maxRef, crossFrames}`, called on the ref
/// table; `opts = {mode: "outline"|"actionables", base}`. New refs continue after `base`
/// (the last ref issued for the target), so a ref never names two elements, even across
/// navigations. `crossFrames` lists the iframes it could not enter (`{line, depth, src}`),
/// for the hub to walk through the browser (`frames.rs`).
pub const SNAPSHOT: &str = r#"function (opts) {
  const table = this;
  const ACTION = new Set(['button','link','textbox','searchbox','checkbox','radio','combobox','listbox','option',
    'menuitem','menuitemcheckbox','menuitemradio','switch','tab','slider','spinbutton','treeitem']);
  const OUTLINE = new Set(['heading','main','navigation','region','form','list','listitem','img','table','row',
    'cell','banner','contentinfo','complementary','article','paragraph','dialog','alert']);
  const implicit = (el) => {
    const t = el.tagName.toLowerCase(), type = (el.getAttribute('type') || '').toLowerCase();
    if (t === 'a' && el.hasAttribute('href')) return 'link';
    if (t === 'button' || (t === 'input' && ['button','submit','reset','image'].includes(type))) return 'button';
    if (t === 'input' && type === 'checkbox') return 'checkbox';
    if (t === 'input' && type === 'radio') return 'radio';
    if (t === 'input' && type === 'range') return 'slider';
    if (t === 'input' && type === 'number') return 'spinbutton';
    if (t === 'input' && type === 'search') return 'searchbox';
    if (t === 'input' && type !== 'hidden') return 'textbox';
    if (t === 'textarea') return 'textbox';
    if (t === 'select') return el.multiple ? 'listbox' : 'combobox';
    if (/^h[1-6]$/.test(t)) return 'heading';
    const map = {nav:'navigation', main:'main', form:'form', ul:'list', ol:'list', li:'listitem', img:'img',
      table:'table', tr:'row', td:'cell', th:'cell', header:'banner', footer:'contentinfo', aside:'complementary',
      article:'article', p:'paragraph', dialog:'dialog', summary:'button'};
    return map[t] || null;
  };
  const frameDoc = (f) => { try { return f.contentDocument; } catch (e) { return null; } };
  const visible = (el) => {
    const s = el.ownerDocument.defaultView.getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden' || el.hidden) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 || r.height > 0 || s.display === 'contents';
  };
  const clean = (s) => (s || '').replace(/\s+/g, ' ').trim().slice(0, 80);
  const name = (el, role) => {
    const aria = el.getAttribute('aria-label');
    if (aria) return clean(aria);
    const by = el.getAttribute('aria-labelledby');
    const doc = el.ownerDocument;
    if (by) return clean(by.split(/\s+/).map(id => doc.getElementById(id)?.innerText || '').join(' '));
    if (el.id) { const l = doc.querySelector(`label[for="${CSS.escape(el.id)}"]`); if (l) return clean(l.innerText); }
    const wrap = el.closest('label'); if (wrap && wrap !== el && ['textbox','checkbox','radio','combobox','listbox','searchbox','spinbutton','slider'].includes(role)) return clean(wrap.innerText);
    if (el.getAttribute('placeholder')) return clean(el.getAttribute('placeholder'));
    if (el.getAttribute('alt')) return clean(el.getAttribute('alt'));
    if (el.tagName === 'INPUT' && ['submit','button','reset'].includes(el.type)) return clean(el.value);
    if (['textbox','combobox','listbox','searchbox','list','form','table','main','navigation','region'].includes(role)) return clean(el.getAttribute('title'));
    return clean(el.innerText || el.getAttribute('title'));
  };
  table.counter = Math.max(table.counter || 0, opts.base || 0);
  const lines = [];
  let refCount = 0;
  const crossFrames = [];
  const walk = (el, depth) => {
    for (const child of el.children) {
      if (!visible(child)) continue;
      if (child.tagName === 'IFRAME' || child.tagName === 'FRAME') {
        const label = clean(child.getAttribute('title') || child.getAttribute('name') || child.getAttribute('src'));
        const inner = frameDoc(child);
        const body = inner && (inner.body || inner.documentElement);
        lines.push('  '.repeat(depth) + 'iframe' + (label ? ` "${label}"` : '') + (body ? '' : ' (cross-origin)'));
        if (body) walk(body, depth + 1);
        else crossFrames.push({line: lines.length - 1, depth: depth + 1, src: child.src});
        continue;
      }
      const role = child.getAttribute('role') || implicit(child);
      const actionable = role && ACTION.has(role);
      const shown = actionable || (opts.mode !== 'actionables' && role && OUTLINE.has(role));
      if (shown) {
        let line = '  '.repeat(depth);
        if (actionable) {
          let ref = table.byEl.get(child);
          if (!ref) { ref = 'r' + (++table.counter); table.byEl.set(child, ref); table.byRef.set(ref, new WeakRef(child)); }
          line += `[${ref}] `;
          refCount++;
        }
        line += role;
        const n = name(child, role); if (n) line += ` "${n}"`;
        if (role === 'heading') line += ` level=${child.tagName[1] || child.getAttribute('aria-level') || ''}`;
        if ('value' in child && ['textbox','searchbox','combobox','spinbutton','slider'].includes(role)) {
          const v = child.type === 'password' ? (child.value ? '••••' : '') : clean(String(child.value));
          if (v) line += ` value="${v}"`;
        }
        if (child.checked) line += ' checked';
        if (child.disabled || child.getAttribute('aria-disabled') === 'true') line += ' disabled';
        lines.push(line);
      }
      if (!(actionable && ['button','link','option'].includes(role))) {
        walk(child, shown ? depth + 1 : depth);
        if (child.shadowRoot) walk(child.shadowRoot, shown ? depth + 1 : depth);
      }
    }
  };
  walk(document.body || document.documentElement, opts.depth || 0);
  return {lines, url: location.href, title: document.title, refCount, maxRef: table.counter, crossFrames};
}"#;

/// `(sel, text, state) => bool`: whether a wait condition holds now.
/// Text is looked for in same-origin iframes too; selectors match in the top document.
pub const CONDITION: &str = r#"(sel, text, state) => {
  let el = null;
  if (sel) { el = document.querySelector(sel); }
  const has = (doc) => !!doc && ((doc.body && doc.body.innerText.includes(text)) ||
    [...doc.querySelectorAll('iframe, frame')].some(f => { try { return has(f.contentDocument); } catch (e) { return false; } }));
  if (text) { return has(document) === (state !== 'hidden'); }
  const shown = !!el && (() => { const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0; })();
  if (state === 'hidden') return !shown;
  if (state === 'visible') return shown;
  return !!el;
}"#;

/// `function (ref) → <input type=file> | null`, called on the ref table, to get the input
/// as a remote object for `DOM.setFileInputFiles`.
pub const FILE_INPUT: &str = r#"function (ref) {
  const el = this.byRef.get(ref)?.deref();
  return el && el.isConnected && el.tagName === 'INPUT' && el.type === 'file' ? el : null;
}"#;

/// The function `page.evaluate` calls on the ref table with `(ref, args)`. `source` is an
/// expression, or a function called with the element of the ref (if one is given) and then
/// `args`; promises are awaited. It answers `{type, value}`, `{stale: true}` when the ref's
/// element is gone, or `{problem}` when a ref was given but `source` is not a function. The
/// caller's source is compiled by the browser as part of this function (no `eval`, so the
/// page's CSP does not block it).
pub fn evaluate(source: &str) -> String {
    format!(
        "async function (ref, args) {{\n  const el = ref == null ? undefined : this.byRef.get(ref)?.deref();\n  \
         if (ref != null && (!el || !el.isConnected)) return {{stale: true}};\n  const f = ({source}\n);\n  \
         let r;\n  if (typeof f === 'function') r = await f(...(ref == null ? [] : [el]), ...(args || []));\n  \
         else if (ref != null) return {{problem: 'with a ref, the expression must be a function such as (el) => el.value'}};\n  \
         else r = await f;\n  \
         return {{type: r === null ? 'null' : Array.isArray(r) ? 'array' : typeof r, value: r}};\n}}"
    )
}

/// Builds `(<function>)(<json args>…)`.
pub fn call(function: &str, args: &[serde_json::Value]) -> String {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    format!("({function})({})", args.join(", "))
}

/// `function (ref, op, arg)`, called on the ref table: [`crate::element_js::ELEMENT_OP`] on
/// the element of `ref`, or `{stale: true}` when it is gone.
pub fn ref_op() -> String {
    format!(
        "function (ref, op, arg) {{\n  const el = this.byRef.get(ref)?.deref();\n  \
         if (!el || !el.isConnected) return {{stale: true}};\n  return ({}).call(el, op, arg);\n}}",
        crate::element_js::ELEMENT_OP
    )
}
