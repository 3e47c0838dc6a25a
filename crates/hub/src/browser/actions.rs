//! Snapshot → refs → actions, DOM reads, screenshots and DevTools polling on the active
//! target of a session.

use super::commands::eval;
use super::error::err;
use super::js;
use super::session::BrowserSession;
use super::snapshot::page;
use crate::error::HubError;
use crate::params::{opt_bool, opt_str, opt_u64, req_str, Params};
use crate::server::HubCore;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs one of the snapshot / interact / dom / devtools commands.
pub async fn run(hub: &HubCore, session: &Arc<BrowserSession>, name: &str, params: &Params) -> Result<Value, HubError> {
    let (target, cdp) = session.active(hub).await?;
    let ctx = Ctx { hub, session, target, cdp };
    match name {
        "nav.snapshot" => ctx.snapshot(params).await,
        "interact.click" => ctx.click(req_str(params, "ref")?, true).await,
        "interact.hover" => ctx.click(req_str(params, "ref")?, false).await,
        "interact.type" => ctx.type_text(params).await,
        "interact.press" => ctx.press(params).await,
        "interact.select" => {
            let values: Vec<String> = match params.get("values") {
                Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
                _ => return Err(HubError::param("values", "must be an array of option values or labels")),
            };
            let r = ctx.ref_op(req_str(params, "ref")?, "select", json!(values)).await?;
            Ok(json!({"selected": r["selected"]}))
        }
        "interact.scroll" => {
            let dy = params.get("dy").and_then(Value::as_f64).unwrap_or(0.0);
            match opt_str(params, "ref")? {
                Some(r) => ctx.ref_op(r, "scroll", json!(dy)).await,
                None => {
                    eval(hub, session, &ctx.cdp, &format!("(window.scrollBy(0, {dy}), {{scrollY: window.scrollY}})"))
                        .await
                }
            }
        }
        "interact.scrollIntoView" => ctx.ref_op(req_str(params, "ref")?, "scrollIntoView", Value::Null).await,
        "dom.getHtml" | "dom.getText" => {
            let op = if name == "dom.getHtml" { "html" } else { "text" };
            let max = opt_u64(params, "maxChars", 1_000_000)?.unwrap_or(8_000) as usize;
            let value =
                ctx.ref_op(req_str(params, "ref")?, op, Value::Null).await?["value"].as_str().unwrap_or("").to_owned();
            let truncated = value.chars().count() > max;
            let value: String = value.chars().take(max).collect();
            let key = if op == "html" { "outerHTML" } else { "text" };
            Ok(json!({key: value, "truncated": truncated}))
        }
        "dom.getAttr" => ctx.ref_op(req_str(params, "ref")?, "attr", json!(req_str(params, "name")?)).await,
        "dom.getValue" => ctx.ref_op(req_str(params, "ref")?, "value", Value::Null).await,
        "dom.isVisible" => ctx.ref_op(req_str(params, "ref")?, "visible", Value::Null).await,
        "dom.isEnabled" => ctx.ref_op(req_str(params, "ref")?, "enabled", Value::Null).await,
        "dom.isChecked" => ctx.ref_op(req_str(params, "ref")?, "checked", Value::Null).await,
        "page.screenshot" => ctx.screenshot(params).await,
        "devtools.consolePoll" | "devtools.networkPoll" => {
            let since = opt_u64(params, "sinceSeq", u64::MAX)?.unwrap_or(0);
            let max = opt_u64(params, "max", 1_000)?.unwrap_or(50) as usize;
            let state = session.state();
            let log = if name == "devtools.consolePoll" { &state.console } else { &state.network };
            let (events, next) = log.since(since, max);
            Ok(json!({"events": events, "nextSeq": next}))
        }
        _ => {
            session.call(hub, "Performance.enable", json!({}), Some(&ctx.cdp)).await?;
            let metrics = session.call(hub, "Performance.getMetrics", json!({}), Some(&ctx.cdp)).await?;
            Ok(json!({"metrics": metrics["metrics"]}))
        }
    }
}

struct Ctx<'a> {
    hub: &'a HubCore,
    session: &'a Arc<BrowserSession>,
    target: String,
    cdp: String,
}

impl Ctx<'_> {
    async fn input(&self, method: &str, params: Value) -> Result<Value, HubError> {
        self.session.call(self.hub, method, params, Some(&self.cdp)).await
    }

    /// Runs `op` on the element `r`: unknown refs (never issued) and stale refs (issued,
    /// but gone from the page) are told apart.
    async fn ref_op(&self, r: &str, op: &str, arg: Value) -> Result<Value, HubError> {
        let n: u64 = r.strip_prefix('r').and_then(|n| n.parse().ok()).unwrap_or(0);
        let issued = self.session.state().targets.get(&self.target).map_or(0, |t| t.max_ref);
        if n == 0 || n > issued {
            return Err(err(
                "unknown_ref",
                format!("unknown ref {r:?} for this page: take a snapshot (nav.snapshot) first"),
            ));
        }
        let result =
            eval(self.hub, self.session, &self.cdp, &js::call(js::REF_OP, &[json!(r), json!(op), arg])).await?;
        if result["stale"] == true {
            return Err(err(
                "stale_ref",
                format!("ref {r} is no longer in the page (it changed since the snapshot): take a new snapshot"),
            ));
        }
        Ok(result)
    }

    async fn snapshot(&self, params: &Params) -> Result<Value, HubError> {
        let started = Instant::now();
        let mode = opt_str(params, "mode")?.unwrap_or("outline");
        let max_chars = opt_u64(params, "maxChars", 1_000_000)?.unwrap_or(16_000).max(100) as usize;
        let cursor = opt_str(params, "cursor")?
            .map_or(Ok(0), |c| c.parse::<usize>())
            .map_err(|_| HubError::param("cursor", "must be the nextCursor of a previous snapshot"))?;
        let base = self.session.state().targets.get(&self.target).map_or(0, |t| t.max_ref);
        let snap =
            eval(self.hub, self.session, &self.cdp, &js::call(js::SNAPSHOT, &[json!({"mode": mode, "base": base})]))
                .await?;
        let lines: Vec<String> = snap["lines"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        if let Some(t) = self.session.state().targets.get_mut(&self.target) {
            t.max_ref = snap["maxRef"].as_u64().unwrap_or(0);
        }
        let p = page(&lines, cursor, max_chars);
        Ok(json!({"url": snap["url"], "title": snap["title"], "content": p.content, "truncated": p.truncated,
            "nextCursor": p.next_cursor, "refCount": snap["refCount"], "timingMs": started.elapsed().as_millis() as u64}))
    }

    async fn click(&self, r: &str, press: bool) -> Result<Value, HubError> {
        let started = Instant::now();
        let at = self.ref_op(r, "center", Value::Null).await?;
        if at["visible"] != true {
            return Err(err("element_not_visible", format!("ref {r} is not visible, so it cannot be clicked")));
        }
        let before = eval(self.hub, self.session, &self.cdp, "location.href").await?;
        let (x, y) = (at["x"].as_f64().unwrap_or(0.0), at["y"].as_f64().unwrap_or(0.0));
        self.input("Input.dispatchMouseEvent", json!({"type": "mouseMoved", "x": x, "y": y})).await?;
        if press {
            for kind in ["mousePressed", "mouseReleased"] {
                self.input(
                    "Input.dispatchMouseEvent",
                    json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
                )
                .await?;
            }
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        let after = eval(self.hub, self.session, &self.cdp, "location.href").await.unwrap_or(Value::Null);
        Ok(json!({"timingMs": started.elapsed().as_millis() as u64, "navigated": after != before}))
    }

    async fn type_text(&self, params: &Params) -> Result<Value, HubError> {
        let started = Instant::now();
        let r = req_str(params, "ref")?;
        let text = params.get("text").and_then(Value::as_str).ok_or_else(|| HubError::param("text", "is required"))?;
        let clear = opt_bool(params, "clear")?.unwrap_or(false);
        let focused = self.ref_op(r, "focus", json!(clear)).await?;
        if focused["focused"] != true {
            return Err(err("element_not_visible", format!("ref {r} cannot take keyboard focus")));
        }
        self.input("Input.insertText", json!({"text": text})).await?;
        if opt_bool(params, "submit")?.unwrap_or(false) {
            self.key("Enter").await?;
        }
        Ok(json!({"timingMs": started.elapsed().as_millis() as u64}))
    }

    async fn press(&self, params: &Params) -> Result<Value, HubError> {
        if let Some(r) = opt_str(params, "ref")? {
            self.ref_op(r, "focus", json!(false)).await?;
        }
        self.key(req_str(params, "key")?).await?;
        Ok(json!({"ok": true}))
    }

    async fn key(&self, key: &str) -> Result<(), HubError> {
        let (code, key_code, text) = match key {
            "Enter" => ("Enter", 13, "\r"),
            "Tab" => ("Tab", 9, ""),
            "Escape" => ("Escape", 27, ""),
            "Backspace" => ("Backspace", 8, ""),
            "Delete" => ("Delete", 46, ""),
            "ArrowUp" => ("ArrowUp", 38, ""),
            "ArrowDown" => ("ArrowDown", 40, ""),
            "ArrowLeft" => ("ArrowLeft", 37, ""),
            "ArrowRight" => ("ArrowRight", 39, ""),
            " " | "Space" => ("Space", 32, " "),
            k if k.chars().count() == 1 => ("", 0, k),
            other => {
                return Err(HubError::param(
                    "key",
                    format!(
                    "unsupported key {other:?} (Enter, Tab, Escape, Backspace, Delete, Arrow*, Space or one character)"
                ),
                ))
            }
        };
        let key_name = if key == "Space" { " " } else { key };
        let down = if text.is_empty() { "rawKeyDown" } else { "keyDown" };
        let mut params = json!({"type": down, "key": key_name, "code": code, "windowsVirtualKeyCode": key_code});
        if !text.is_empty() {
            params["text"] = json!(text);
        }
        self.input("Input.dispatchKeyEvent", params).await?;
        self.input(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": key_name, "code": code, "windowsVirtualKeyCode": key_code}),
        )
        .await?;
        Ok(())
    }

    async fn screenshot(&self, params: &Params) -> Result<Value, HubError> {
        let mut shot = json!({"format": "png"});
        if let Some(r) = opt_str(params, "ref")? {
            let rect = self.ref_op(r, "rect", Value::Null).await?;
            let f = |k: &str| rect[k].as_f64().unwrap_or(0.0);
            shot["clip"] = json!({"x": f("x") + f("scrollX"), "y": f("y") + f("scrollY"), "width": f("width").max(1.0),
                "height": f("height").max(1.0), "scale": 1});
        }
        let data = self.input("Page.captureScreenshot", shot).await?;
        let bytes = decode_base64(data["data"].as_str().unwrap_or(""))
            .ok_or_else(|| err("screenshot_failed", "the browser returned no PNG data"))?;
        let (width, height) =
            png_size(&bytes).ok_or_else(|| err("screenshot_failed", "the browser returned an invalid PNG"))?;
        let path = match opt_str(params, "path")? {
            Some(p) => std::path::PathBuf::from(p),
            None => {
                std::env::temp_dir().join(format!("opendevbrowser-{}.png", opendevbrowser_api::clock::random_hex(6)))
            }
        };
        std::fs::write(&path, &bytes)
            .map_err(|e| err("screenshot_failed", format!("cannot write {}: {e}", path.display())))?;
        Ok(json!({"path": path, "width": width, "height": height, "bytes": bytes.len()}))
    }
}

/// Width and height from a PNG's IHDR chunk.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let n = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    Some((n(16), n(20)))
}

/// Standard base64 (with padding) to bytes.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b'=').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= value(*c)? << (18 - 6 * i);
        }
        let produced = chunk.len() * 6 / 8;
        for i in 0..produced {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_padded_and_unpadded_input() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGk").unwrap(), b"hi");
        assert_eq!(decode_base64("TWFu").unwrap(), b"Man");
        assert!(decode_base64("!!").is_none());
    }

    #[test]
    fn png_size_reads_ihdr_and_rejects_other_data() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(640u32.to_be_bytes());
        png.extend(480u32.to_be_bytes());
        assert_eq!(png_size(&png), Some((640, 480)));
        assert_eq!(png_size(b"GIF89a........................"), None);
    }
}
