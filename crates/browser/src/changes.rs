//! What an action changed on the page, told in its answer so the common step needs no
//! second snapshot: the outline is taken again and compared with the last one the agent
//! saw (lines that appeared, went, or changed under the same ref), bounded in size.

use crate::outline::Options;
use crate::page_outline;
use crate::session::BrowserSession;
use std::collections::HashMap;

/// Most change lines an answer carries (then one line says how many more).
pub const MAX_CHANGES: usize = 30;
/// Above this many lines the comparison costs more than a snapshot call: skipped.
const MAX_OUTLINE: usize = 3_000;
/// How long the comparison may add to an action.
const MAX_WAIT: std::time::Duration = std::time::Duration::from_millis(1_000);

/// The changes since the last snapshot of the active tab, after an action; `None` when
/// there is nothing to compare with (no snapshot yet, or a new document: the action's
/// answer says it navigated) or the page is too large to compare cheaply.
pub async fn after_action(session: &BrowserSession) -> Option<Vec<String>> {
    let (target, cdp) = session.active().await.ok()?;
    let before = session.state().targets.get(&target).map(|t| t.last_outline.clone()).unwrap_or_default();
    if before.is_empty() || before.len() > MAX_OUTLINE {
        return None;
    }
    // A navigation the action started holds the page's answers until the new document
    // commits: then the answer says `navigated`, and a new snapshot is what to take.
    let taking = page_outline::take(session, &target, &cdp, None, Options::default());
    let now = tokio::time::timeout(MAX_WAIT, taking).await.ok()?.ok()?;
    let changes = diff(&before, &now.lines, MAX_CHANGES);
    if let Some(t) = session.state().targets.get_mut(&target) {
        t.last_outline = now.lines;
    }
    Some(changes)
}

/// The lines of `after` not in `before` (`+ `), of `before` not in `after` (`- `), and a
/// ref's line that changed (`~ `, its new form), at most `max` of them.
pub fn diff(before: &[String], after: &[String], max: usize) -> Vec<String> {
    let (mut left, mut right) = (counts(after), counts(before));
    let mut added: Vec<&str> = Vec::new();
    for l in after.iter().map(|l| l.trim_start()) {
        if right.get(l).copied().unwrap_or(0) > 0 {
            *right.get_mut(l).unwrap_or(&mut 0) -= 1;
        } else {
            added.push(l);
        }
    }
    let mut removed: Vec<&str> = Vec::new();
    for l in before.iter().map(|l| l.trim_start()) {
        if left.get(l).copied().unwrap_or(0) > 0 {
            *left.get_mut(l).unwrap_or(&mut 0) -= 1;
        } else {
            removed.push(l);
        }
    }
    let ref_of = |l: &str| l.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(r, _)| r.to_owned());
    let gone_refs: HashMap<String, usize> =
        removed.iter().enumerate().filter_map(|(i, l)| Some((ref_of(l)?, i))).collect();
    let mut changed_from = vec![false; removed.len()];
    let mut out = Vec::new();
    for l in &added {
        match ref_of(l).and_then(|r| gone_refs.get(&r)) {
            Some(&i) => {
                changed_from[i] = true;
                out.push(format!("~ {l}"));
            }
            None => out.push(format!("+ {l}")),
        }
    }
    out.extend(removed.iter().zip(changed_from).filter(|(_, c)| !c).map(|(l, _)| format!("- {l}")));
    if out.len() > max {
        let more = out.len() - max;
        out.truncate(max);
        out.push(format!("… and {more} more changes: take a snapshot to see the whole page"));
    }
    out
}

/// How often each line (indent aside) occurs.
fn counts(lines: &[String]) -> HashMap<&str, i64> {
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for l in lines {
        *counts.entry(l.trim_start()).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(ls: &[&str]) -> Vec<String> {
        ls.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn appeared_went_and_changed_lines_are_told_apart() {
        let before = lines(&["heading \"Form\"", "  [r1] textbox \"Name\"", "  [r2] button \"Save\"", "text: unsaved"]);
        let after =
            lines(&["heading \"Form\"", "  [r1] textbox \"Name\" value=\"ada\"", "text: saved", "[r3] link \"Next\""]);
        assert_eq!(
            diff(&before, &after, 30),
            [
                "~ [r1] textbox \"Name\" value=\"ada\"",
                "+ text: saved",
                "+ [r3] link \"Next\"",
                "- [r2] button \"Save\"",
                "- text: unsaved"
            ]
        );
    }

    #[test]
    fn nothing_changed_is_an_empty_list_and_repeats_count() {
        let same = lines(&["text: a", "text: a"]);
        assert!(diff(&same, &same, 30).is_empty());
        assert_eq!(diff(&same, &lines(&["text: a"]), 30), ["- text: a"]);
    }

    #[test]
    fn many_changes_are_bounded_and_say_how_many_more() {
        let after: Vec<String> = (0..50).map(|i| format!("text: {i}")).collect();
        let got = diff(&[], &after, 30);
        assert_eq!(got.len(), 31);
        assert!(got[30].starts_with("… and 20 more changes"));
    }
}
