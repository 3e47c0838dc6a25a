//! What the hub does to one element: the page-side function every ref operation runs.
//!
//! [`ELEMENT_OP`] is called with `this` = the element of a ref (`Runtime.callFunctionOn`
//! on the element's remote object) and `(op, arg)`; it answers a JSON value, `{stale:
//! true}` when the element left the page, or `{error}` when the op cannot apply to it.

/// `function (op, arg) → result | {stale: true} | {error}`, called on an element. `center`
/// and `rect` are in the top viewport's coordinates (same-origin frames included), which is
/// where input events and screenshots are aimed.
pub const ELEMENT_OP: &str = r#"function (op, arg) {
  const el = this;
  if (!el.isConnected) return {stale: true};
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
      el.dispatchEvent(new Event('input', {bubbles: true})); } return {focused: el.getRootNode().activeElement === el};
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
