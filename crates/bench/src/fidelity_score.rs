//! Scoring one page for `snapshot_fidelity` (pure): reading our snapshot's lines, the
//! page's words, and comparing our lines with the browser's accessibility tree and
//! Playwright's clickables.

use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// One line of our snapshot: its ref, role, quoted name and inline text.
#[derive(Debug, Default)]
pub(crate) struct Line {
    pub(crate) reference: Option<String>,
    pub(crate) role: String,
    pub(crate) name: String,
    pub(crate) text: String,
}

/// Reads the lines of our format (`[r3] role "name" attrs` / `role: text` / `text: …`).
pub(crate) fn parse_ours(content: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for raw in content.lines() {
        let line = raw.trim_start();
        if line.is_empty() || raw.starts_with("# ") {
            continue;
        }
        let (reference, rest) = match line.strip_prefix('[').and_then(|l| l.split_once("] ")) {
            Some((r, rest)) if r.chars().any(|c| c.is_ascii_digit()) => (Some(r.to_owned()), rest),
            _ => (None, line),
        };
        let role: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        if role.is_empty() {
            continue;
        }
        let mut after = &rest[role.len()..];
        let mut name = String::new();
        if let Some(quoted) = after.strip_prefix(' ').filter(|q| q.starts_with('"')) {
            let (value, end) = json_string(quoted);
            name = value;
            after = &quoted[end..];
        }
        let text = inline_text(after).unwrap_or_default();
        out.push(Line { reference, role, name, text });
    }
    out
}

/// The JSON string at the start of `s` and the byte just past it (its closing quote found
/// by escapes; to the end if none).
pub(crate) fn json_string(s: &str) -> (String, usize) {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return (serde_json::from_str(&s[..=i]).unwrap_or_else(|_| s[1..i].to_owned()), i + 1),
            _ => {}
        }
    }
    (s[1..].to_owned(), s.len())
}

/// The inline text after the attributes (`role attrs: text`), outside quoted values.
pub(crate) fn inline_text(after: &str) -> Option<String> {
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in after.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ':' if !quoted && after[i + 1..].chars().next().is_none_or(|n| n == ' ') => {
                return Some(after[i + 1..].trim().to_owned());
            }
            _ => {}
        }
    }
    None
}

/// Lower-case words (runs of letters and digits).
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Whether `word` is two of the bag's words written together (taking them if so).
pub(crate) fn joined_pair(word: &str, bag: &mut HashMap<String, usize>) -> bool {
    let split =
        word.char_indices().skip(1).map(|(i, _)| (&word[..i], &word[i..])).find(|(a, b)| {
            bag.get(*a).is_some_and(|n| *n > 0) && bag.get(*b).is_some_and(|n| *n > usize::from(a == b))
        });
    match split {
        Some((a, b)) => {
            for part in [a, b] {
                *bag.get_mut(part).unwrap() -= 1;
            }
            true
        }
        None => false,
    }
}

pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

pub(crate) fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Our role word and the browser's for the same thing (Chrome's internal roles, such as
/// `Date` or `Iframe`, are capitalised).
pub(crate) fn role_key(role: &str) -> String {
    match role.to_ascii_lowercase().as_str() {
        "img" => "image".to_owned(),
        "presentation" => "none".to_owned(),
        "statictext" => "text".to_owned(),
        other => other.to_owned(),
    }
}

pub(crate) fn ratio(part: usize, whole: usize) -> Value {
    if whole == 0 {
        json!(null)
    } else {
        json!((part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
    }
}

/// The fidelity of one page: words, roles and names, clickables, size and time.
/// `exact`: the refs of Playwright's clickables that one of our refs is on; `around`: those
/// whose pointer box (an ancestor the element takes its pointer cursor from) has one of ours.
pub(crate) fn compare(
    ours: &str,
    ours_time: Duration,
    pw: &Value,
    exact: &HashSet<String>,
    around: &HashSet<String>,
) -> (Value, Value) {
    // Visible text: each word of the page's innerText (every frame) once per occurrence.
    let mut bag: HashMap<String, usize> = HashMap::new();
    for w in words(ours) {
        *bag.entry(w).or_default() += 1;
    }
    let page_words: Vec<String> =
        pw["innerText"].as_array().into_iter().flatten().flat_map(|t| words(t.as_str().unwrap_or(""))).collect();
    let mut missed = Vec::new();
    for w in &page_words {
        if let Some(n) = bag.get_mut(w).filter(|n| **n > 0) {
            *n -= 1;
        } else if !joined_pair(w, &mut bag) {
            // innerText joins the words of adjacent inline boxes ("Cancelcancel" for two
            // buttons): two words of ours that make it up count (`joined_pair`).
            missed.push(w.clone());
        }
    }
    // Role and name: our lines with a ref or a name against the browser's tree.
    let mut tree: HashMap<String, HashSet<String>> = HashMap::new();
    for node in pw["ax"].as_array().into_iter().flatten() {
        let role = role_key(node["role"].as_str().unwrap_or(""));
        let names = tree.entry(role).or_default();
        names.insert(norm(node["name"].as_str().unwrap_or("")));
        names.insert(norm(node["text"].as_str().unwrap_or("")));
    }
    let lines = parse_ours(ours);
    let named: Vec<&Line> =
        lines.iter().filter(|l| l.role != "text" && (l.reference.is_some() || !l.name.is_empty())).collect();
    let mut disagree = Vec::new();
    for line in &named {
        // The name if the line has one, else its inline text, else the role alone.
        let said = norm(if line.name.is_empty() { &line.text } else { &line.name });
        let cut = said.strip_suffix('…').map(str::trim_end);
        let known = tree.get(&role_key(&line.role)).is_some_and(|names| {
            said.is_empty()
                || names.contains(&said)
                || cut.is_some_and(|prefix| names.iter().any(|n| n.starts_with(prefix)))
        });
        if !known {
            disagree.push(format!("{} {:?}", line.role, said));
        }
    }
    // Clickables: Playwright's, tagged in the page, that one of our refs points at.
    let clickables: Vec<&Value> = pw["clickables"].as_array().into_iter().flatten().collect();
    let on_element = clickables.iter().filter(|c| exact.contains(c["ref"].as_str().unwrap_or(""))).count();
    let unreffed: Vec<String> = clickables
        .iter()
        .filter(|c| {
            let r = c["ref"].as_str().unwrap_or("");
            !exact.contains(r) && !around.contains(r)
        })
        .map(|c| {
            format!(
                "{} {:?}{}",
                c["role"].as_str().unwrap_or(""),
                c["name"].as_str().unwrap_or(""),
                if c["tagged"] == true { "" } else { " (untagged)" }
            )
        })
        .collect();
    let (ours_chars, pw_chars) = (ours.chars().count(), pw["ai"]["chars"].as_u64().unwrap_or(0) as usize);
    let ours_ms = ours_time.as_secs_f64() * 1000.0;
    let pw_ms = pw["ai"]["median_ms"].as_f64().unwrap_or(f64::NAN);
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let row = json!({
        "words": page_words.len(), "words_in_ours": page_words.len() - missed.len(),
        "text": ratio(page_words.len() - missed.len(), page_words.len()),
        "lines": named.len(), "agree": named.len() - disagree.len(), "role_name": ratio(named.len() - disagree.len(), named.len()),
        "clickables": clickables.len(), "with_ref": clickables.len() - unreffed.len(),
        "clickable": ratio(clickables.len() - unreffed.len(), clickables.len()),
        "on_element": on_element,
        "chars": ours_chars, "pw_chars": pw_chars, "chars_vs_pw": ratio(ours_chars, pw_chars),
        "ms": round(ours_ms), "pw_ms": round(pw_ms), "time_vs_pw": round(ours_ms / pw_ms),
    });
    let take = |v: &[String]| v.iter().take(12).cloned().collect::<Vec<_>>();
    let details = json!({"missed_words": take(&missed), "disagreeing_lines": take(&disagree),
        "clickables_without_ref": take(&unreffed)});
    (row, details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_lines_are_read() {
        let content = "# Title — http://x/\nheading \"Welcome\" level=1\ntext: Click on the link 'dolor'.\n\
                       [r3] generic \"dolor\" clickable\n  [r4] listitem: one\n[r7] combobox \"Color\" value=\"green\"\n\
                       [r9] option \"say \\\"hi\\\"\" selected";
        let lines = parse_ours(content);
        let got: Vec<(Option<&str>, &str, &str, &str)> =
            lines.iter().map(|l| (l.reference.as_deref(), l.role.as_str(), l.name.as_str(), l.text.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (None, "heading", "Welcome", ""),
                (None, "text", "", "Click on the link 'dolor'."),
                (Some("r3"), "generic", "dolor", ""),
                (Some("r4"), "listitem", "", "one"),
                (Some("r7"), "combobox", "Color", ""),
                (Some("r9"), "option", "say \"hi\"", ""),
            ]
        );
        let mut bag = HashMap::from([("cancel".to_owned(), 2)]);
        assert!(joined_pair("cancelcancel", &mut bag) && !joined_pair("cancelcancel", &mut bag));
        assert_eq!(words("Click on the link 'dolor'."), ["click", "on", "the", "link", "dolor"]);
    }
}
