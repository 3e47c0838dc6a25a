//! Paging a snapshot outline for an agent: whole lines only, at most `max_chars` per page,
//! a cursor to continue. Pure, so it is tested with plain values.

/// One page of an outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotPage {
    /// The lines of this page joined with `\n`.
    pub content: String,
    /// Whether lines remain after this page.
    pub truncated: bool,
    /// Where the next page starts (a line index as text), when truncated.
    pub next_cursor: Option<String>,
}

/// Takes lines from `cursor` while they fit in `max_chars` (always at least one line).
pub fn page(lines: &[String], cursor: usize, max_chars: usize) -> SnapshotPage {
    let mut content = String::new();
    let mut end = cursor.min(lines.len());
    while end < lines.len() {
        let extra = lines[end].len() + usize::from(!content.is_empty());
        if !content.is_empty() && content.len() + extra > max_chars {
            break;
        }
        if !content.is_empty() {
            content.push('\n');
        }
        content.push_str(&lines[end]);
        end += 1;
    }
    let truncated = end < lines.len();
    SnapshotPage { content, truncated, next_cursor: truncated.then(|| end.to_string()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("[r{i}] button \"b{i}\"")).collect()
    }

    #[test]
    fn pages_cover_every_line_exactly_once() {
        let all = lines(50);
        let mut cursor = 0;
        let mut seen = Vec::new();
        loop {
            let p = page(&all, cursor, 100);
            assert!(p.content.len() <= 100);
            seen.extend(p.content.lines().map(str::to_owned));
            match p.next_cursor {
                Some(next) => cursor = next.parse().unwrap(),
                None => break,
            }
        }
        assert_eq!(seen, all);
    }

    #[test]
    fn a_line_longer_than_the_limit_still_comes_alone() {
        let long = vec!["x".repeat(500), "y".into()];
        let p = page(&long, 0, 10);
        assert_eq!(p.content.len(), 500);
        assert_eq!(p.next_cursor.as_deref(), Some("1"));
    }

    #[test]
    fn a_cursor_past_the_end_is_an_empty_final_page() {
        let p = page(&lines(3), 9, 100);
        assert_eq!(p, SnapshotPage { content: String::new(), truncated: false, next_cursor: None });
    }
}
