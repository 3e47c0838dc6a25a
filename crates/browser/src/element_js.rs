//! What the hub does to one element: the page-side function every ref operation runs.
//!
//! [`ELEMENT_OP`] is called with `this` = the element of a ref (`Runtime.callFunctionOn`
//! on the element's remote object) and `(op, arg)`; it answers a JSON value, `{stale:
//! true}` when the element left the page, or `{error, code}` when the op cannot apply to
//! it or did not take effect. `error` is a predicate about the element ("is a button,
//! which cannot take text"), so callers write `ref r5 {error}`; `code` is one of
//! `not_editable`, `option_not_found`, `invalid_value`, `action_failed`, `invalid_param`.
//!
//! Actions tell the truth: `select` and `fill` read back what the page kept and answer an
//! error when it is not what was asked. Date-like inputs take their ISO value, or the
//! numeric form the browser's locale displays (order from `Intl`, e.g. MM/DD/YYYY in
//! en-US, DD/MM/YYYY in en-GB), converted to ISO; color takes `#rrggbb`; range a number
//! within its min, max and step.

/// `function (op, arg) → result | {stale: true} | {error, code}`, called on an element.
/// `center` and `rect` are in the top viewport's coordinates (same-origin frames
/// included), which is where input events and screenshots are aimed. `focus` answers
/// `{focused, editable, role}`: `editable` only for enabled, non-readonly text-like
/// inputs, textareas and contenteditable elements; `role` is the ARIA role (explicit or
/// implicit) or the tag name.
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
  const tag = el.tagName.toLowerCase(), type = tag === 'input' ? (el.type || 'text').toLowerCase() : '';
  const fire = (n) => el.dispatchEvent(new Event(n, {bubbles: true}));
  const q = (v) => JSON.stringify(String(v)), an = (w) => (/^[aeiou]/i.test(w) ? 'an ' : 'a ') + w;
  const DATES = ['date', 'time', 'datetime-local', 'month', 'week'];
  const textLike = tag === 'textarea' || (tag === 'input' && ['text', 'search', 'email', 'url', 'tel', 'password',
    'number', ...DATES].includes(type));
  const disabled = () => el.matches(':disabled');
  const editable = () => el.isContentEditable || (textLike && !disabled() && !el.readOnly);
  const role = () => {
    const explicit = (el.getAttribute('role') || '').trim().split(/\s+/)[0];
    if (explicit) return explicit;
    if (tag === 'input') return {button: 'button', submit: 'button', reset: 'button', image: 'button', checkbox: 'checkbox',
      radio: 'radio', range: 'slider', number: 'spinbutton', search: 'searchbox', text: 'textbox', email: 'textbox',
      tel: 'textbox', url: 'textbox', password: 'textbox'}[type] || type + ' input';
    if (tag === 'select') return el.multiple || el.size > 1 ? 'listbox' : 'combobox';
    if (el.isContentEditable || tag === 'textarea') return 'textbox';
    if (/^h[1-6]$/.test(tag)) return 'heading';
    return {a: el.hasAttribute('href') ? 'link' : 'a', area: 'link', button: 'button', summary: 'button', img: 'img',
      option: 'option', li: 'listitem', ul: 'list', ol: 'list', table: 'table', tr: 'row', td: 'cell', th: 'columnheader',
      p: 'paragraph', nav: 'navigation', form: 'form', dialog: 'dialog', progress: 'progressbar'}[tag] || tag;
  };
  const notEditable = (what) => { const why = disabled() ? 'disabled ' : textLike && el.readOnly ? 'readonly ' : '';
    return {error: `is ${an(why + role())}, which cannot take ${what}`, code: 'not_editable'}; };
  const assign = (v) => { const d = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value');
    if (d && d.set) d.set.call(el, v); else el.value = v; return el.value; };
  // Options of a <select>: listed (at most 30) when one asked for is missing; picked and read back.
  const opts = () => [...(el.options || [])];
  const names = (list) => list.map((o) => q(o.label)).join(', ');
  const listOptions = () => { const all = opts(), shown = all.slice(0, 30)
      .map((o) => (o.label === o.value ? q(o.label) : `${q(o.label)} (value ${q(o.value)})`));
    return (shown.join(', ') || 'none') + (all.length > 30 ? `, and ${all.length - 30} more` : ''); };
  const pick = (wanted) => {
    if (tag !== 'select' || disabled()) return notEditable('an option');
    if (!Array.isArray(wanted) || !wanted.every((w) => ['string', 'number'].includes(typeof w)))
      return {error: `is ${an(role())}, which takes option values or labels (strings)`, code: 'invalid_param'};
    if (!el.multiple && wanted.length !== 1)
      return {error: `is a single-choice select: give one option, not ${wanted.length}`, code: 'invalid_value'};
    const chosen = [], trim = (s) => s.replace(/\s+/g, ' ').trim();
    for (const w of wanted.map(String)) {
      const o = opts().find((o) => o.value === w) || opts().find((o) => o.label === w || trim(o.label) === trim(w));
      if (!o) return {error: `has no option ${q(w)} (by value or label); its options are ${listOptions()}`,
        code: 'option_not_found'};
      if (o.matches(':disabled')) return {error: `has the option ${q(w)}, but it is disabled`, code: 'invalid_value'};
      chosen.push(o);
    }
    for (const o of opts()) o.selected = chosen.includes(o);
    fire('input'); fire('change');
    const kept = opts().filter((o) => o.selected);
    if (kept.length !== chosen.length || kept.some((o) => !chosen.includes(o)))
      return {error: `was set to ${names(chosen) || 'nothing'}, but the page kept ${names(kept) || 'nothing'} selected`,
        code: 'action_failed'};
    return {selected: kept.length, values: kept.map((o) => o.value)};
  };
  const toggle = (want) => {
    if (typeof want !== 'boolean') return {error: `is ${an(role())}, which takes true or false`, code: 'invalid_param'};
    if (disabled() || el.getAttribute('aria-disabled') === 'true') return notEditable('a new state');
    const state = () => (tag === 'input' ? el.checked : el.getAttribute('aria-checked') === 'true');
    if (state() !== want) el.click();
    if (state() === want) return {ok: true};
    if (type === 'radio') return {error: 'is a radio, which is unchecked by checking another of its group',
      code: 'action_failed'};
    return {error: `was clicked to ${want ? 'check' : 'uncheck'} it, but the page kept it ${state() ? 'checked' : 'unchecked'}`,
      code: 'action_failed'};
  };
  // Date-like values: ISO, or the numeric form of the browser's locale (its day/month/year order).
  const pad = (n, w = 2) => String(n).padStart(w, '0'), lang = view.navigator.language || 'en-US';
  const order = () => { try { return new Intl.DateTimeFormat(lang, {year: 'numeric', month: '2-digit', day: '2-digit'})
      .formatToParts(new Date(2010, 3, 11)).map((p) => p.type).filter((t) => ['year', 'month', 'day'].includes(t));
    } catch (_) { return ['month', 'day', 'year']; } };
  const localForm = () => { const o = order(); return `${o.map((k) => ({year: 'YYYY', month: 'MM', day: 'DD'})[k]).join('/')}`
    + ` (${o.map((k) => ({year: '2010', month: '04', day: '11'})[k]).join('/')})`; };
  const ymd = (s) => { let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s), y, mo, d;
    if (m) [y, mo, d] = [m[1], m[2], m[3]];
    else { m = /^(\d{1,4})[/.-](\d{1,4})[/.-](\d{1,4})$/.exec(s); if (!m) return null;
      const p = {}; order().forEach((k, i) => { p[k] = m[i + 1]; });
      if (!p.year || p.year.length !== 4 || p.month.length > 2 || p.day.length > 2) return null;
      [y, mo, d] = [p.year, p.month, p.day]; }
    [y, mo, d] = [+y, +mo, +d];
    if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
    return `${pad(y, 4)}-${pad(mo)}-${pad(d)}`; };
  const hm = (s) => { let m = /^(\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?$/.exec(s), h, mi, sec, frac = '';
    if (m) { [h, mi, sec, frac] = [+m[1], +m[2], +(m[3] || 0), m[4] || '']; if (h > 23) return null; }
    else { m = /^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([ap])\.?m\.?$/i.exec(s); if (!m) return null;
      [h, mi, sec] = [+m[1], +(m[2] || 0), +(m[3] || 0)]; if (h < 1 || h > 12) return null;
      h = (h % 12) + (m[4].toLowerCase() === 'p' ? 12 : 0); }
    if (mi > 59 || sec > 59) return null;
    return `${pad(h)}:${pad(mi)}${sec || frac ? `:${pad(sec)}${frac}` : ''}`; };
  const FORMATS = {date: () => `a date as YYYY-MM-DD (e.g. 2010-04-11) or as ${lang} shows it, ${localForm()}`,
    time: () => 'a time as HH:MM or HH:MM:SS, 24-hour (e.g. 13:45), or h:MM AM/PM (e.g. 1:45 PM)',
    'datetime-local': () => `a date and time as YYYY-MM-DDTHH:MM (e.g. 2010-04-11T13:45); the date may also be`
      + ` written as ${lang} shows it, ${localForm()}, then a space and the time`,
    month: () => 'a month as YYYY-MM (e.g. 2010-04) or MM/YYYY (e.g. 04/2010)',
    week: () => 'an ISO week as YYYY-Www (e.g. 2010-W15)', number: () => 'a number (e.g. 42 or -3.5)',
    color: () => 'a color as #rrggbb (e.g. #ff8800)'};
  const bad = (v, what) => ({error: `takes ${what}; ${q(v)} is not one`, code: 'invalid_value'});
  const range = (v) => { const n = v.trim() === '' ? NaN : Number(v);
    const attr = (a, d) => { const x = parseFloat(el.getAttribute(a)); return Number.isFinite(x) ? x : d; };
    const min = attr('min', 0), max = Math.max(attr('max', 100), min), s = (el.getAttribute('step') || '').toLowerCase();
    const step = s === 'any' ? 0 : parseFloat(s) > 0 ? parseFloat(s) : 1, base = el.hasAttribute('min') ? min : attr('value', 0);
    const k = step ? (n - base) / step : 0;
    const near = Number.isFinite(n) ? Math.min(max, Math.max(min, base + Math.round(k) * step)) : min;
    if (Number.isFinite(n) && n >= min && n <= max && Math.abs(k - Math.round(k)) < 1e-7) return {value: String(n)};
    return bad(v, `a number from ${min} to ${max}${step ? ` in steps of ${step}` : ''} (e.g. ${+near.toFixed(10)})`); };
  // A fill value as the input's own format: {value} or {error, code}.
  const convert = (v) => {
    if (v === '' && type !== 'range' && type !== 'color') return {value: ''};
    const as = (x) => (x ? {value: x} : bad(v, FORMATS[type]()));
    let m;
    switch (type) {
      case 'date': return as(ymd(v.trim()));
      case 'time': return as(hm(v.trim()));
      case 'datetime-local': { m = /^(.+?)(?:T|,?\s+)(\d.*)$/i.exec(v.trim()); const d = m && ymd(m[1]), t = m && hm(m[2]);
        return as(d && t && `${d}T${t}`); }
      case 'month': { const s = v.trim(); m = /^(\d{4})-(\d{1,2})$/.exec(s) || /^(\d{4})[/.](\d{1,2})$/.exec(s);
        if (!m && (m = /^(\d{1,2})[/.-](\d{4})$/.exec(s))) m = [s, m[2], m[1]];
        return as(m && +m[2] >= 1 && +m[2] <= 12 && `${m[1]}-${pad(+m[2])}`); }
      case 'week': { m = /^(\d{4})-?W(\d{1,2})$/i.exec(v.trim()); return as(m && +m[2] >= 1 && +m[2] <= 53 && `${m[1]}-W${pad(+m[2])}`); }
      case 'color': { m = /^#([0-9a-f]{6}|[0-9a-f]{3})$/i.exec(v.trim()); const h = m && m[1].toLowerCase();
        return as(h && '#' + (h.length === 3 ? [...h].map((c) => c + c).join('') : h)); }
      case 'range': return range(v);
    }
    if (el.maxLength >= 0 && v.length > el.maxLength) return bad(v, `at most ${el.maxLength} characters`);
    return {value: v};
  };
  const fill = (v) => {
    if ((tag === 'input' && (type === 'checkbox' || type === 'radio'))
      || ['checkbox', 'radio', 'switch', 'menuitemcheckbox', 'menuitemradio'].includes(el.getAttribute('role'))) return toggle(v);
    if (tag === 'select') return pick(Array.isArray(v) ? v : [v]);
    const slider = tag === 'input' && (type === 'range' || type === 'color') && !disabled();
    if (tag === 'input' && type === 'file') return {error: 'is a file input, which takes files (upload), not text', code: 'not_editable'};
    if (!editable() && !slider) return notEditable('text');
    if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
    if (typeof v !== 'string') return {error: `is ${an(role())}, which takes a string`, code: 'invalid_param'};
    el.focus();
    if (!textLike && !slider) { el.textContent = v; fire('input');
      return el.textContent === v ? {ok: true} : {error: `was set to ${q(v)}, but the page changed it to ${q(el.textContent)}`,
        code: 'action_failed'}; }
    const c = convert(v); if (c.error) return c;
    const old = el.value, took = assign(c.value);
    let want = tag === 'textarea' ? c.value.replace(/\r\n?/g, '\n') : c.value.replace(/[\r\n]/g, '');
    if (type === 'email' || type === 'url') want = want.split(',').map((s) => s.trim()).join(',');
    if (type === 'number' || DATES.includes(type) ? took === '' && want !== '' : took !== want) {
      assign(old); // what the browser refused leaves the field as it was
      return FORMATS[type] ? bad(v, FORMATS[type]()) : {error: `was set to ${q(want)}, but the browser turned it into ${q(took)}`,
        code: 'action_failed'}; }
    fire('input'); fire('change');
    if (!el.isConnected) return {ok: true};
    if (el.value !== took) return {error: `was set to ${q(took)}, but the page changed it to ${q(el.value)}`, code: 'action_failed'};
    return {ok: true, value: took};
  };
  switch (op) {
    case 'center': el.scrollIntoView({block: 'center', inline: 'center'}); { const r = rect();
      return {x: r.x + r.width / 2, y: r.y + r.height / 2, visible: visible()}; }
    case 'rect': el.scrollIntoView({block: 'center', inline: 'center'}); return {...rect(), visible: visible()};
    case 'focus': { el.scrollIntoView({block: 'center'}); el.focus(); const can = editable();
      if (arg && can && 'value' in el) { assign(''); fire('input'); }
      return {focused: el.getRootNode().activeElement === el, editable: can, role: role()}; }
    case 'select': return pick(arg);
    case 'scroll': el.scrollBy(0, arg); return {scrollTop: el.scrollTop};
    case 'scrollIntoView': el.scrollIntoView({block: 'center'}); return rect();
    case 'html': return {value: el.outerHTML};
    case 'text': return {value: el.innerText};
    case 'attr': return {value: el.getAttribute(arg)};
    case 'value': return {value: 'value' in el ? el.value : null};
    case 'visible': return {value: visible()};
    case 'enabled': return {value: !(el.disabled || el.getAttribute('aria-disabled') === 'true')};
    case 'checked': return {value: !!(el.checked || el.getAttribute('aria-checked') === 'true')};
    case 'checkState': { const r = el.getAttribute('role');
      if (type === 'checkbox' || type === 'radio') return {value: el.checked};
      if (['checkbox', 'radio', 'switch', 'menuitemcheckbox'].includes(r)) return {value: el.getAttribute('aria-checked') === 'true'};
      return {value: null}; }
    case 'fill': return fill(arg);
  }
  return {error: 'unknown op ' + op};
}"#;
