//! The JavaScript the hub runs in pages: the snapshot walker that gives interactive
//! elements stable refs (`data-odb-ref`), and small functions acting on one ref.
//!
//! Refs are attributes on the elements themselves, so they stay stable across snapshots of
//! one document and vanish with it: a ref that no longer resolves is a stale snapshot.
//! Same-origin iframes are walked as part of their page (their elements get refs too, and
//! coordinates are translated to the top viewport); cross-origin iframes are listed, not
//! entered, since their documents are out of the page's reach.

/// `(opts) => {lines, url, title, refCount, maxRef}`; `opts = {mode: "outline"|"actionables", base}`.
/// New refs continue after `base` (the last ref issued for the target), so a ref never
/// names two elements, even across navigations.
pub const SNAPSHOT: &str = r#"(opts) => {
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
  window.__odbRefCounter = Math.max(window.__odbRefCounter || 0, opts.base || 0);
  const lines = [];
  let refCount = 0;
  const walk = (el, depth) => {
    for (const child of el.children) {
      if (!visible(child)) continue;
      if (child.tagName === 'IFRAME' || child.tagName === 'FRAME') {
        const label = clean(child.getAttribute('title') || child.getAttribute('name') || child.getAttribute('src'));
        const inner = frameDoc(child);
        const body = inner && (inner.body || inner.documentElement);
        lines.push('  '.repeat(depth) + 'iframe' + (label ? ` "${label}"` : '') + (body ? '' : ' (cross-origin: not expanded)'));
        if (body) walk(body, depth + 1);
        continue;
      }
      const role = child.getAttribute('role') || implicit(child);
      const actionable = role && ACTION.has(role);
      const shown = actionable || (opts.mode !== 'actionables' && role && OUTLINE.has(role));
      if (shown) {
        let line = '  '.repeat(depth);
        if (actionable) {
          let ref = child.getAttribute('data-odb-ref');
          if (!ref) { ref = 'r' + (++window.__odbRefCounter); child.setAttribute('data-odb-ref', ref); }
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
      if (!(actionable && ['button','link','option'].includes(role))) walk(child, shown ? depth + 1 : depth);
    }
  };
  walk(document.body || document.documentElement, 0);
  return {lines, url: location.href, title: document.title, refCount, maxRef: window.__odbRefCounter};
}"#;

/// `(ref, op, arg) => result | {stale: true}`: one operation on the element with that ref.
/// Elements inside same-origin iframes are found too; `center` and `rect` are in the top
/// viewport's coordinates, which is where input events and screenshots are aimed.
pub const REF_OP: &str = r#"(ref, op, arg) => {
  const find = (doc) => {
    const hit = doc.querySelector(`[data-odb-ref="${ref}"]`);
    if (hit) return hit;
    for (const f of doc.querySelectorAll('iframe, frame')) {
      let inner = null; try { inner = f.contentDocument; } catch (e) {}
      const found = inner && find(inner);
      if (found) return found;
    }
    return null;
  };
  const el = find(document);
  if (!el) return {stale: true};
  const view = el.ownerDocument.defaultView;
  const frameOffset = () => { let x = 0, y = 0;
    for (let w = view; w !== window && w.frameElement; w = w.parent) {
      const f = w.frameElement, r = f.getBoundingClientRect(); x += r.x + f.clientLeft; y += r.y + f.clientTop; }
    return {x, y}; };
  const rect = () => { const r = el.getBoundingClientRect(), o = frameOffset();
    return {x: r.x + o.x, y: r.y + o.y, width: r.width, height: r.height, scrollX: window.scrollX, scrollY: window.scrollY}; };
  const visible = () => { const s = view.getComputedStyle(el), r = el.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0; };
  switch (op) {
    case 'center': el.scrollIntoView({block: 'center', inline: 'center'}); { const r = rect();
      return {x: r.x + r.width / 2, y: r.y + r.height / 2, visible: visible()}; }
    case 'rect': el.scrollIntoView({block: 'center', inline: 'center'}); return {...rect(), visible: visible()};
    case 'focus': el.scrollIntoView({block: 'center'}); el.focus(); if (arg && 'value' in el) { el.value = '';
      el.dispatchEvent(new Event('input', {bubbles: true})); } return {focused: el.ownerDocument.activeElement === el};
    case 'select': { const wanted = new Set(arg); let n = 0;
      for (const o of el.options || []) { o.selected = wanted.has(o.value) || wanted.has(o.label); if (o.selected) n++; }
      el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));
      return {selected: n}; }
    case 'scroll': el.scrollBy(0, arg); return {scrollTop: el.scrollTop};
    case 'scrollIntoView': el.scrollIntoView({block: 'center'}); return rect();
    case 'html': return {value: el.outerHTML};
    case 'text': return {value: el.innerText};
    case 'attr': return {value: el.getAttribute(arg)};
    case 'value': return {value: 'value' in el ? el.value : null};
    case 'visible': return {value: visible()};
    case 'enabled': return {value: !(el.disabled || el.getAttribute('aria-disabled') === 'true')};
    case 'checked': return {value: !!(el.checked || el.getAttribute('aria-checked') === 'true')};
    case 'checkState': { const t = (el.type || '').toLowerCase(), role = el.getAttribute('role');
      if (t === 'checkbox' || t === 'radio') return {value: el.checked};
      if (['checkbox','radio','switch','menuitemcheckbox'].includes(role)) return {value: el.getAttribute('aria-checked') === 'true'};
      return {value: null}; }
    case 'fill': { const t = (el.type || '').toLowerCase(), fire = (n) => el.dispatchEvent(new Event(n, {bubbles: true}));
      if (t === 'checkbox' || t === 'radio') { if (typeof arg !== 'boolean') return {error: 'a checkbox or radio takes true or false'};
        if (el.checked !== arg) el.click(); return el.checked === arg ? {ok: true} : {error: 'the page kept its state'}; }
      if (el.tagName === 'SELECT') { const want = String(arg); let hit = false;
        for (const o of el.options) { if (o.value === want || o.label === want) { o.selected = true; hit = true; if (!el.multiple) break; } }
        if (!hit) return {error: `no option with value or label ${JSON.stringify(want)}`};
        fire('input'); fire('change'); return {ok: true}; }
      if (typeof arg === 'object' && arg !== null) return {error: 'a text field takes a string'};
      if (el.isContentEditable) { el.focus(); el.textContent = String(arg); fire('input'); return {ok: true}; }
      if (!('value' in el) || t === 'file') return {error: 'not a text field, select, checkbox or radio'};
      el.focus(); const proto = Object.getPrototypeOf(el), desc = Object.getOwnPropertyDescriptor(proto, 'value');
      if (desc && desc.set) desc.set.call(el, String(arg)); else el.value = String(arg);
      fire('input'); fire('change'); return {ok: true}; }
  }
  return {error: 'unknown op ' + op};
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

/// `(ref) => element | null`: the element with that ref, in the page or a same-origin iframe.
pub const FIND_REF: &str = r#"(ref) => {
  const find = (doc) => {
    const hit = doc.querySelector(`[data-odb-ref="${ref}"]`);
    if (hit) return hit;
    for (const f of doc.querySelectorAll('iframe, frame')) {
      let inner = null; try { inner = f.contentDocument; } catch (e) {}
      const found = inner && find(inner);
      if (found) return found;
    }
    return null;
  };
  return find(document);
}"#;

/// An expression for the `<input type=file>` with ref `r` (or `null`), to get it as a
/// remote object for `DOM.setFileInputFiles`.
pub fn file_input(r: &str) -> String {
    let find = call(FIND_REF, &[serde_json::json!(r)]);
    format!("(() => {{ const el = {find}; return el && el.tagName === 'INPUT' && el.type === 'file' ? el : null; }})()")
}

/// The expression `page.evaluate` runs. `source` is an expression, or a function called
/// with the element of `element` (if given) and then `args`; promises are awaited. It
/// answers `{type, value}`, `{stale: true}` when the ref's element is gone, or `{problem}`
/// when a ref was given but `source` is not a function. The caller's source is compiled by
/// the browser as part of this expression (no `eval`, so page CSP does not block it).
pub fn evaluate(source: &str, element: Option<&str>, args: &[serde_json::Value]) -> String {
    let has_ref = element.is_some();
    let el = element.map_or_else(|| "undefined".to_owned(), |r| call(FIND_REF, &[serde_json::json!(r)]));
    let args = serde_json::Value::from(args.to_vec());
    format!(
        "(async () => {{\n  const __el = {el};\n  if ({has_ref} && !__el) return {{stale: true}};\n  const __f = ({source}\n);\n  \
         let __r;\n  if (typeof __f === 'function') __r = await __f(...({has_ref} ? [__el] : []), ...{args});\n  \
         else if ({has_ref}) return {{problem: 'with a ref, the expression must be a function such as (el) => el.value'}};\n  \
         else __r = await __f;\n  \
         return {{type: __r === null ? 'null' : Array.isArray(__r) ? 'array' : typeof __r, value: __r}};\n}})()"
    )
}

/// Builds `(<function>)(<json args>…)`.
pub fn call(function: &str, args: &[serde_json::Value]) -> String {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    format!("({function})({})", args.join(", "))
}
