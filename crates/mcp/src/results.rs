//! Hub answers as MCP tool results an agent can use: the snapshot outline as plain text
//! with a paging hint, screenshots as image content, the Web Vitals report as its text,
//! other results as compact JSON, and every error as `isError` text naming its code, what
//! happened and what to do, with the commands it names called by their tool names
//! (`browser_snapshot`, not `nav.snapshot`).

use opendevbrowser_api::command::{in_words_of, Front};
use opendevbrowser_client::ClientError;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::Value;

/// The result of a successful command behind tool `tool`.
pub fn success(tool: &str, data: Value, keep_file: bool) -> CallToolResult {
    match tool {
        "browser_snapshot" => CallToolResult::success(vec![ContentBlock::text(snapshot_text(&data))]),
        "browser_take_screenshot" => screenshot(&data, keep_file),
        // The report says every figure in words; the JSON would repeat it.
        "browser_web_vitals" if data["report"].is_string() => {
            CallToolResult::success(vec![ContentBlock::text(compact(&data["report"]))])
        }
        _ => CallToolResult::success(vec![ContentBlock::text(compact(&data))]),
    }
}

fn compact(data: &Value) -> String {
    match data {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `# title — url`, the outline, and how to get the next part.
pub fn snapshot_text(data: &Value) -> String {
    let mut text = format!(
        "# {} — {}\n{}",
        data["title"].as_str().unwrap_or(""),
        data["url"].as_str().unwrap_or(""),
        data["content"].as_str().unwrap_or("")
    );
    if data["truncated"] == true {
        let cursor = data["nextCursor"].as_str().unwrap_or("");
        text.push_str(&format!("\n[more of this page: call browser_snapshot with cursor \"{cursor}\"]"));
    }
    text
}

/// The image the hub wrote, as image content (the file is removed unless the caller asked
/// for it by path).
fn screenshot(data: &Value, keep_file: bool) -> CallToolResult {
    let path = data["path"].as_str().unwrap_or_default();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return failure_text("screenshot_failed", &format!("cannot read {path}: {e}")),
    };
    let jpeg = bytes.starts_with(&[0xFF, 0xD8]);
    let mime = if jpeg { "image/jpeg" } else { "image/png" };
    let mut content = vec![ContentBlock::image(base64(&bytes), mime)];
    if keep_file {
        let (w, h) = (&data["width"], &data["height"]);
        content.push(ContentBlock::text(format!("{w}×{h} {} saved at {path}", if jpeg { "JPEG" } else { "PNG" })));
    } else {
        let _ = std::fs::remove_file(path);
    }
    CallToolResult::success(content)
}

/// A hub (or connection) error as a tool error.
pub fn failure(e: &ClientError) -> CallToolResult {
    match e {
        // The code leads the text already; the message need not repeat it.
        ClientError::Hub { code, message, .. } => failure_text(code, message),
        other => failure_text(other.code(), &other.to_string()),
    }
}

fn failure_text(code: &str, message: &str) -> CallToolResult {
    let mut text = format!("{code}: {}", in_words_of(Front::Mcp, message));
    if let Some(fix) = fix(code) {
        text.push_str(&format!("\nWhat to do: {fix}"));
    }
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// What an agent should do about an error, where the message does not already say it.
fn fix(code: &str) -> Option<&'static str> {
    Some(match code {
        "stale_ref" | "unknown_ref" => "call browser_snapshot again and use a ref from the new outline",
        "relay_busy" | "wait_timeout" => {
            "another agent is using the user's Chrome; try again later, or launch a managed browser \
             (browser_launch with mode managed)"
        }
        "extension_not_connected" | "extension_handshake_incomplete" | "hub_not_running" | "hub_unreachable" => {
            "call browser_status for the cause and its fix"
        }
        "invalid_param" => "fix the argument named above (the tool's input schema lists the fields)",
        "element_not_visible" => "scroll it into view (browser_scroll_into_view) or wait for it (browser_wait_for)",
        "navigation_timeout" => "the page is still loading; try waitUntil load, or a longer timeoutMs",
        "dialog_open" => "answer it with browser_handle_dialog (action accept or dismiss; promptText for a prompt)",
        "unknown_key" => "use a key name from browser_press_key's description, modifiers joined with +",
        "no_response_body" => "pick a requestId whose browser_network_requests entry has event finished",
        "not_supported" => "this needs a managed browser: browser_launch with mode managed",
        _ => return None,
    })
}

/// Standard base64 with padding.
pub use opendevbrowser_api::base64::encode as base64;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"hi"), "aGk=");
        assert_eq!(base64(b""), "");
    }

    #[test]
    fn a_truncated_snapshot_says_how_to_get_the_rest() {
        let text = snapshot_text(&json!({"title": "T", "url": "http://x/", "content": "- button \"Go\" [ref=r1]",
            "truncated": true, "nextCursor": "12"}));
        assert!(text.starts_with("# T — http://x/\n- button \"Go\" [ref=r1]"), "{text}");
        assert!(text.ends_with("call browser_snapshot with cursor \"12\"]"), "{text}");
    }

    #[test]
    fn errors_name_the_code_and_the_fix() {
        let r = failure_text("stale_ref", "ref r3 is no longer in the page");
        assert_eq!(r.is_error, Some(true));
        let text = serde_json::to_value(&r.content).unwrap()[0]["text"].as_str().unwrap().to_owned();
        assert!(text.starts_with("stale_ref: ref r3") && text.contains("browser_snapshot again"), "{text}");
    }

    fn text_of(r: &CallToolResult) -> String {
        serde_json::to_value(&r.content).unwrap()[0]["text"].as_str().unwrap().to_owned()
    }

    fn hub_error(code: &str, message: &str) -> ClientError {
        ClientError::Hub { code: code.into(), message: message.into(), status: 400, details: json!({}) }
    }

    #[test]
    fn errors_name_tools_not_daemon_commands() {
        let r = failure(&hub_error(
            "unknown_ref",
            "unknown ref \"r999\" for this page: take a snapshot (nav.snapshot) first",
        ));
        assert_eq!(
            text_of(&r),
            "unknown_ref: unknown ref \"r999\" for this page: take a snapshot (browser_snapshot) first\n\
             What to do: call browser_snapshot again and use a ref from the new outline"
        );
        // What the hub and the browser say today where they name a command.
        let said = [
            ("dialog_open", "a confirm dialog \"Sure?\" is open: answer it with page.dialog"),
            ("unknown_request", "no request \"7\" in this session's network log (devtools.networkPoll lists them)"),
            ("unknown_target", "no page of this session is open: open one with targets.new"),
            ("unknown_session", "no session s1: it was disconnected or never existed (session.launch)"),
            ("relay_busy", "relay busy: held by c/i until 2025-01-01T00:00:00Z; you would be number 1 in the queue (relay.wait waits for your turn)"),
            ("binding_required", "this command drives the browser and needs a binding: call relay.bind first and pass its bindingId"),
            ("unknown_command", "unknown command `x`; `hub.commands` lists them all (or see `opendevbrowser --help`)"),
            ("invalid_param", "invalid parameter `fields`: interact.fill needs at least one"),
            ("dialog_open", "use page.dialog with action accept or dismiss (CLI: `opendevbrowser dialog --action accept`)"),
            ("not_supported", "use a managed session (session.launch mode managed, headless)"),
        ];
        for (code, message) in said {
            let text = text_of(&failure(&hub_error(code, message)));
            assert_eq!(crate::tools::tests::daemon_names_in(&text), Vec::<String>::new(), "{text}");
        }
        let gone = failure(&ClientError::OutcomeUnknown { command: "interact.click".into() });
        assert!(text_of(&gone).contains("running `browser_click`"), "{}", text_of(&gone));
    }
}
