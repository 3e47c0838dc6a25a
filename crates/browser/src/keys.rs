//! Keys and chords as `Input.dispatchKeyEvent` needs them: `Control+Shift+ArrowLeft` →
//! the modifier bits and, for each key, its `key`, `code`, Windows key code and the text it
//! types. Pure: tested with plain strings.

/// One key as CDP wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// `key` (`"a"`, `"A"`, `"Enter"`, `"Control"`).
    pub key: String,
    /// `code` (`"KeyA"`, `"Enter"`, `"ControlLeft"`).
    pub code: String,
    /// `windowsVirtualKeyCode`.
    pub key_code: u32,
    /// The text it types (empty for keys that type nothing, and under Control/Alt/Meta).
    pub text: String,
}

/// A chord: modifiers held (in the order given) around one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chord {
    /// The modifier keys, pressed in order and released in reverse.
    pub modifiers: Vec<Key>,
    /// The CDP modifier bits (Alt 1, Control 2, Meta 4, Shift 8) while the key is down.
    pub bits: u32,
    /// The key itself.
    pub key: Key,
}

/// Named keys: `(name, code, windowsVirtualKeyCode, text)`.
const NAMED: &[(&str, &str, u32, &str)] = &[
    ("Backspace", "Backspace", 8, ""),
    ("Tab", "Tab", 9, ""),
    ("Enter", "Enter", 13, "\r"),
    ("Shift", "ShiftLeft", 16, ""),
    ("Control", "ControlLeft", 17, ""),
    ("Alt", "AltLeft", 18, ""),
    ("Pause", "Pause", 19, ""),
    ("CapsLock", "CapsLock", 20, ""),
    ("Escape", "Escape", 27, ""),
    ("Space", "Space", 32, " "),
    ("PageUp", "PageUp", 33, ""),
    ("PageDown", "PageDown", 34, ""),
    ("End", "End", 35, ""),
    ("Home", "Home", 36, ""),
    ("ArrowLeft", "ArrowLeft", 37, ""),
    ("ArrowUp", "ArrowUp", 38, ""),
    ("ArrowRight", "ArrowRight", 39, ""),
    ("ArrowDown", "ArrowDown", 40, ""),
    ("PrintScreen", "PrintScreen", 44, ""),
    ("Insert", "Insert", 45, ""),
    ("Delete", "Delete", 46, ""),
    ("Meta", "MetaLeft", 91, ""),
    ("ContextMenu", "ContextMenu", 93, ""),
    ("NumLock", "NumLock", 144, ""),
    ("ScrollLock", "ScrollLock", 145, ""),
];

/// Punctuation on a US layout: `(char, shifted char, code, windowsVirtualKeyCode)`.
const PUNCTUATION: &[(char, char, &str, u32)] = &[
    (';', ':', "Semicolon", 186),
    ('=', '+', "Equal", 187),
    (',', '<', "Comma", 188),
    ('-', '_', "Minus", 189),
    ('.', '>', "Period", 190),
    ('/', '?', "Slash", 191),
    ('`', '~', "Backquote", 192),
    ('[', '{', "BracketLeft", 219),
    ('\\', '|', "Backslash", 220),
    (']', '}', "BracketRight", 221),
    ('\'', '"', "Quote", 222),
];

/// Digits' shifted characters on a US layout, `0` to `9`.
const SHIFTED_DIGITS: [char; 10] = [')', '!', '@', '#', '$', '%', '^', '&', '*', '('];

/// The CDP modifier bit of a modifier key name (Alt 1, Control 2, Meta 4, Shift 8).
pub fn modifier_bit(name: &str) -> Option<u32> {
    match name {
        "Alt" => Some(1),
        "Control" => Some(2),
        "Meta" => Some(4),
        "Shift" => Some(8),
        _ => None,
    }
}

/// The key named `name`: a named key, `F1`-`F24`, or one character.
pub fn key(name: &str) -> Option<Key> {
    let make = |key: &str, code: &str, key_code: u32, text: &str| Key {
        key: key.to_owned(),
        code: code.to_owned(),
        key_code,
        text: text.to_owned(),
    };
    if let Some((n, code, kc, text)) = NAMED.iter().find(|(n, ..)| *n == name) {
        let key = if *n == "Space" { " " } else { n };
        return Some(make(key, code, *kc, text));
    }
    if let Some(n) = name.strip_prefix('F').and_then(|n| n.parse::<u32>().ok()).filter(|n| (1..=24).contains(n)) {
        return Some(make(name, name, 111 + n, ""));
    }
    let mut chars = name.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else { return None };
    let text = c.to_string();
    Some(match c {
        'a'..='z' | 'A'..='Z' => {
            let upper = c.to_ascii_uppercase();
            make(&text, &format!("Key{upper}"), u32::from(upper), &text)
        }
        '0'..='9' => make(&text, &format!("Digit{c}"), u32::from(c), &text),
        ' ' => make(" ", "Space", 32, " "),
        _ => match PUNCTUATION.iter().find(|(plain, shifted, ..)| *plain == c || *shifted == c) {
            Some((_, _, code, kc)) => make(&text, code, *kc, &text),
            None => match SHIFTED_DIGITS.iter().position(|d| *d == c) {
                Some(d) => make(&text, &format!("Digit{d}"), 48 + d as u32, &text),
                None => make(&text, "", 0, &text),
            },
        },
    })
}

/// The key a person presses to type `c`: a letter, digit, punctuation mark or space of a
/// US layout with its `code` and key code; a line break (`\n`, `\r`) is Enter; any other
/// character (`é`, `€`, an emoji) is a key whose `key` and text are the character, with
/// no `code` and key code 0 (as an IME or another layout delivers it).
pub fn typed(c: char) -> Key {
    let name = match c {
        '\n' | '\r' => "Enter".to_owned(),
        c => c.to_string(),
    };
    key(&name).unwrap_or_else(|| Key { key: name.clone(), code: String::new(), key_code: 0, text: name })
}

/// Parses `Control+Shift+A`. `ControlOrMeta` is Control (Meta on macOS when `mac`). In a
/// chord a letter is its key (`a`, or `A` with Shift); with Control, Alt or Meta a key
/// types nothing (the page sees a shortcut). The error names the part that is not a key.
pub fn chord(spec: &str, mac: bool) -> Result<Chord, String> {
    // A lone "+" or a chord ending in "+" ("Control++") means the plus key itself.
    let (head, last) = match spec.strip_suffix("++") {
        Some(head) => (head, "+"),
        None if spec == "+" => ("", "+"),
        None => spec.rsplit_once('+').unwrap_or(("", spec)),
    };
    let mut modifiers = Vec::new();
    let mut bits = 0;
    for part in head.split('+').filter(|p| !p.is_empty()) {
        let name = match part {
            "ControlOrMeta" if mac => "Meta",
            "ControlOrMeta" => "Control",
            other => other,
        };
        let bit = modifier_bit(name).ok_or_else(|| part.to_owned())?;
        bits |= bit;
        modifiers.push(key(name).ok_or_else(|| part.to_owned())?);
    }
    let mut key = key(last).ok_or_else(|| last.to_owned())?;
    // A letter key is the same key in either case: Shift decides what it types.
    if key.key.len() == 1 && key.key.chars().all(|c| c.is_ascii_alphabetic()) && !modifiers.is_empty() {
        let case = |s: &str| if bits & 8 != 0 { s.to_uppercase() } else { s.to_lowercase() };
        key.key = case(&key.key);
        key.text = case(&key.text);
    }
    if bits & (1 | 2 | 4) != 0 {
        key.text.clear();
    }
    Ok(Chord { modifiers, bits, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_keys_letters_digits_and_punctuation_have_codes() {
        let enter = key("Enter").unwrap();
        assert_eq!((enter.code.as_str(), enter.key_code, enter.text.as_str()), ("Enter", 13, "\r"));
        assert_eq!(key("F5").unwrap().key_code, 116);
        assert_eq!(key("F12").unwrap().code, "F12");
        let a = key("a").unwrap();
        assert_eq!((a.code.as_str(), a.key_code, a.text.as_str()), ("KeyA", 65, "a"));
        assert_eq!(key("7").unwrap().code, "Digit7");
        assert_eq!(key("?").unwrap().code, "Slash");
        assert_eq!(key("é").unwrap().text, "é", "other characters are typed as text");
        assert!(key("Hyper").is_none() && key("F99").is_none());
    }

    #[test]
    fn typing_a_character_presses_its_key() {
        let k = |c| {
            let k = typed(c);
            (k.key, k.code, k.key_code, k.text)
        };
        assert_eq!(k('h'), ("h".into(), "KeyH".into(), 72, "h".into()));
        assert_eq!(k('H'), ("H".into(), "KeyH".into(), 72, "H".into()));
        assert_eq!(k('7'), ("7".into(), "Digit7".into(), 55, "7".into()));
        assert_eq!(k('!'), ("!".into(), "Digit1".into(), 49, "!".into()));
        assert_eq!(k(' '), (" ".into(), "Space".into(), 32, " ".into()));
        assert_eq!(k('"'), ("\"".into(), "Quote".into(), 222, "\"".into()));
        assert_eq!(k('\n'), ("Enter".into(), "Enter".into(), 13, "\r".into()), "a line break is Enter");
        assert_eq!(k('\r'), ("Enter".into(), "Enter".into(), 13, "\r".into()));
        assert_eq!(k('é'), ("é".into(), String::new(), 0, "é".into()), "any other character types itself");
        assert_eq!(k('😀'), ("😀".into(), String::new(), 0, "😀".into()));
    }

    #[test]
    fn chords_hold_modifiers_and_shortcuts_type_nothing() {
        let select_all = chord("Control+A", false).unwrap();
        assert_eq!((select_all.bits, select_all.key.key_code, select_all.key.text.as_str()), (2, 65, ""));
        assert_eq!(select_all.key.key, "a", "Control+A is the a key, as a keyboard sends it");
        assert_eq!(chord("A", false).unwrap().key.text, "A", "alone, a character types itself");
        assert_eq!(select_all.modifiers[0].key, "Control");
        let shifted = chord("Shift+a", false).unwrap();
        assert_eq!((shifted.key.key.as_str(), shifted.key.text.as_str(), shifted.bits), ("A", "A", 8));
        assert_eq!(chord("ControlOrMeta+k", true).unwrap().bits, 4);
        assert_eq!(chord("ControlOrMeta+k", false).unwrap().bits, 2);
        let plus = chord("Control++", false).unwrap();
        assert_eq!((plus.key.key.as_str(), plus.bits), ("+", 2));
        assert_eq!(chord("Backspace", false).unwrap().modifiers.len(), 0);
        assert_eq!(chord("Hyper+A", false).unwrap_err(), "Hyper");
        assert_eq!(chord("Control+Nope", false).unwrap_err(), "Nope");
    }
}
