//! Snapshot → refs → actions, DOM reads, screenshots and DevTools polling on the active
//! target of a session.

use crate::error::{err, Error};
use crate::js;
use crate::session::BrowserSession;
use crate::snapshot::page;
use crate::state::Log;
use crate::SessionOp;
use opendevbrowser_api::commands::*;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs `$body` with a [`Ctx`] on the session's active target.
macro_rules! on_active_target {
    ($ty:ty => $out:ty, |$this:ident, $ctx:ident| $body:expr) => {
        impl SessionOp for $ty {
            async fn run(self, session: &Arc<BrowserSession>) -> Result<$out, Error> {
                let $this = self;
                let $ctx = Ctx::new(session).await?;
                $body
            }
        }
    };
}

on_active_target!(Snapshot => PageSnapshot, |cmd, ctx| ctx.snapshot(cmd).await);
on_active_target!(Click => Clicked, |cmd, ctx| ctx.click(&cmd.element, true).await);
on_active_target!(Hover => Clicked, |cmd, ctx| ctx.click(&cmd.element, false).await);
on_active_target!(TypeText => Timing, |cmd, ctx| ctx.type_text(cmd).await);
on_active_target!(Press => Done, |cmd, ctx| {
    if let Some(r) = &cmd.element {
        ctx.ref_op(r, "focus", json!(false)).await?;
    }
    ctx.key(&cmd.key).await?;
    Ok(Done::YES)
});
on_active_target!(Select => Selected, |cmd, ctx| {
    let r = ctx.ref_op(&cmd.element, "select", json!(cmd.values)).await?;
    Ok(Selected { selected: r["selected"].as_number().cloned() })
});
on_active_target!(Scroll => Scrolled, |cmd, ctx| {
    let dy = cmd.dy.unwrap_or(0.0);
    let moved = match &cmd.element {
        Some(r) => ctx.ref_op(r, "scroll", json!(dy)).await?,
        None => ctx.eval(&format!("(window.scrollBy(0, {dy}), {{scrollY: window.scrollY}})")).await?,
    };
    let number = |k: &str| moved[k].as_number().cloned();
    Ok(Scrolled { scroll_top: number("scrollTop"), scroll_y: number("scrollY") })
});
on_active_target!(ScrollIntoView => Rect, |cmd, ctx| {
    let rect = ctx.ref_op(&cmd.element, "scrollIntoView", Value::Null).await?;
    serde_json::from_value(rect).map_err(|e| err("js_error", format!("the page answered an odd box: {e}")))
});
on_active_target!(GetHtml => Html, |cmd, ctx| {
    let (outer_html, truncated) = ctx.read_text(&cmd.element, "html", cmd.max_chars).await?;
    Ok(Html { outer_html, truncated })
});
on_active_target!(GetText => Text, |cmd, ctx| {
    let (text, truncated) = ctx.read_text(&cmd.element, "text", cmd.max_chars).await?;
    Ok(Text { text, truncated })
});
on_active_target!(GetAttr => Reading, |cmd, ctx| ctx.read(&cmd.element, "attr", json!(cmd.name)).await);
on_active_target!(GetValue => Reading, |cmd, ctx| ctx.read(&cmd.element, "value", Value::Null).await);
on_active_target!(IsVisible => Reading, |cmd, ctx| ctx.read(&cmd.element, "visible", Value::Null).await);
on_active_target!(IsEnabled => Reading, |cmd, ctx| ctx.read(&cmd.element, "enabled", Value::Null).await);
on_active_target!(IsChecked => Reading, |cmd, ctx| ctx.read(&cmd.element, "checked", Value::Null).await);
on_active_target!(Screenshot => Shot, |cmd, ctx| ctx.screenshot(cmd).await);
on_active_target!(Perf => Metrics, |_cmd, ctx| {
    ctx.input("Performance.enable", json!({})).await?;
    let metrics = ctx.input("Performance.getMetrics", json!({})).await?;
    Ok(Metrics { metrics: metrics["metrics"].clone() })
});

impl SessionOp for ConsolePoll {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Events, Error> {
        Ok(poll(&session.state().console, self.since_seq, self.max))
    }
}

impl SessionOp for NetworkPoll {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Events, Error> {
        Ok(poll(&session.state().network, self.since_seq, self.max))
    }
}

fn poll(log: &Log, since: Option<u64>, max: Option<u64>) -> Events {
    let (events, next_seq) = log.since(since.unwrap_or(0), max.unwrap_or(50) as usize);
    Events { events, next_seq }
}

struct Ctx<'a> {
    session: &'a Arc<BrowserSession>,
    target: String,
    cdp: String,
}

impl<'a> Ctx<'a> {
    async fn new(session: &'a Arc<BrowserSession>) -> Result<Ctx<'a>, Error> {
        let (target, cdp) = session.active().await?;
        Ok(Ctx { session, target, cdp })
    }

    async fn eval(&self, expression: &str) -> Result<Value, Error> {
        self.session.eval(&self.cdp, expression).await
    }

    /// `op`'s `value` of the element `r`.
    async fn read(&self, r: &str, op: &str, arg: Value) -> Result<Reading, Error> {
        Ok(Reading { value: self.ref_op(r, op, arg).await?["value"].clone() })
    }

    /// `op`'s text of the element `r`, cut at `max` characters (default 8000).
    async fn read_text(&self, r: &str, op: &str, max: Option<u64>) -> Result<(String, bool), Error> {
        let max = max.unwrap_or(8_000) as usize;
        let value = self.ref_op(r, op, Value::Null).await?["value"].as_str().unwrap_or("").to_owned();
        let truncated = value.chars().count() > max;
        Ok((value.chars().take(max).collect(), truncated))
    }

    async fn input(&self, method: &str, params: Value) -> Result<Value, Error> {
        self.session.call(method, params, Some(&self.cdp)).await
    }

    /// Runs `op` on the element `r`: unknown refs (never issued) and stale refs (issued,
    /// but gone from the page) are told apart.
    async fn ref_op(&self, r: &str, op: &str, arg: Value) -> Result<Value, Error> {
        let n: u64 = r.strip_prefix('r').and_then(|n| n.parse().ok()).unwrap_or(0);
        let issued = self.session.state().targets.get(&self.target).map_or(0, |t| t.max_ref);
        if n == 0 || n > issued {
            return Err(err(
                "unknown_ref",
                format!("unknown ref {r:?} for this page: take a snapshot (nav.snapshot) first"),
            ));
        }
        let result = self.session.eval(&self.cdp, &js::call(js::REF_OP, &[json!(r), json!(op), arg])).await?;
        if result["stale"] == true {
            return Err(err(
                "stale_ref",
                format!("ref {r} is no longer in the page (it changed since the snapshot): take a new snapshot"),
            ));
        }
        Ok(result)
    }

    async fn snapshot(&self, cmd: Snapshot) -> Result<PageSnapshot, Error> {
        let started = Instant::now();
        let mode = cmd.mode.as_deref().unwrap_or("outline");
        let max_chars = cmd.max_chars.unwrap_or(16_000).max(100) as usize;
        let cursor = cmd
            .cursor
            .map_or(Ok(0), |c| c.parse::<usize>())
            .map_err(|_| Error::param("cursor", "must be the nextCursor of a previous snapshot"))?;
        let base = self.session.state().targets.get(&self.target).map_or(0, |t| t.max_ref);
        let snap =
            self.session.eval(&self.cdp, &js::call(js::SNAPSHOT, &[json!({"mode": mode, "base": base})])).await?;
        let lines: Vec<String> = snap["lines"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        if let Some(t) = self.session.state().targets.get_mut(&self.target) {
            t.max_ref = snap["maxRef"].as_u64().unwrap_or(0);
        }
        let p = page(&lines, cursor, max_chars);
        let text = |k: &str| snap[k].as_str().map(str::to_owned);
        Ok(PageSnapshot {
            url: text("url"),
            title: text("title"),
            content: p.content,
            truncated: p.truncated,
            next_cursor: p.next_cursor,
            ref_count: snap["refCount"].as_number().cloned(),
            timing_ms: started.elapsed().as_millis() as u64,
        })
    }

    async fn click(&self, r: &str, press: bool) -> Result<Clicked, Error> {
        let started = Instant::now();
        let at = self.ref_op(r, "center", Value::Null).await?;
        if at["visible"] != true {
            return Err(err("element_not_visible", format!("ref {r} is not visible, so it cannot be clicked")));
        }
        let before = self.session.eval(&self.cdp, "location.href").await?;
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
        let after = self.session.eval(&self.cdp, "location.href").await.unwrap_or(Value::Null);
        Ok(Clicked { timing_ms: started.elapsed().as_millis() as u64, navigated: after != before })
    }

    async fn type_text(&self, cmd: TypeText) -> Result<Timing, Error> {
        let started = Instant::now();
        let r = &cmd.element;
        let focused = self.ref_op(r, "focus", json!(cmd.clear.unwrap_or(false))).await?;
        if focused["focused"] != true {
            return Err(err("element_not_visible", format!("ref {r} cannot take keyboard focus")));
        }
        self.input("Input.insertText", json!({"text": cmd.text})).await?;
        if cmd.submit.unwrap_or(false) {
            self.key("Enter").await?;
        }
        Ok(Timing { timing_ms: started.elapsed().as_millis() as u64 })
    }

    async fn key(&self, key: &str) -> Result<(), Error> {
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
                return Err(Error::param(
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

    async fn screenshot(&self, cmd: Screenshot) -> Result<Shot, Error> {
        let jpeg = match cmd.format.as_deref() {
            None | Some("png") => false,
            Some("jpeg") => true,
            Some(other) => return Err(Error::param("format", format!("must be png or jpeg, not {other:?}"))),
        };
        let mut shot = json!({"format": if jpeg { "jpeg" } else { "png" }});
        if jpeg {
            shot["quality"] = json!(cmd.quality.unwrap_or(80));
        }
        if let Some(r) = &cmd.element {
            let rect = self.ref_op(r, "rect", Value::Null).await?;
            let f = |k: &str| rect[k].as_f64().unwrap_or(0.0);
            shot["clip"] = json!({"x": f("x") + f("scrollX"), "y": f("y") + f("scrollY"), "width": f("width").max(1.0),
                "height": f("height").max(1.0), "scale": 1});
        }
        let data = self.input("Page.captureScreenshot", shot).await?;
        let bytes = decode_base64(data["data"].as_str().unwrap_or(""))
            .ok_or_else(|| err("screenshot_failed", "the browser returned no image data"))?;
        let size = if jpeg { jpeg_size(&bytes) } else { png_size(&bytes) };
        let (width, height) = size.ok_or_else(|| err("screenshot_failed", "the browser returned an invalid image"))?;
        let path = match cmd.path {
            Some(p) => std::path::PathBuf::from(p),
            None => {
                let name = format!(
                    "opendevbrowser-{}.{}",
                    opendevbrowser_api::clock::random_hex(6),
                    if jpeg { "jpg" } else { "png" }
                );
                std::env::temp_dir().join(name)
            }
        };
        std::fs::write(&path, &bytes)
            .map_err(|e| err("screenshot_failed", format!("cannot write {}: {e}", path.display())))?;
        Ok(Shot { path: path.display().to_string(), width, height, bytes: bytes.len() })
    }
}

/// Width and height from a JPEG's first start-of-frame segment.
pub fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        let length = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let height = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]);
            let width = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]);
            return Some((u32::from(width), u32::from(height)));
        }
        i += 2 + length;
    }
    None
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
    fn jpeg_size_reads_the_start_of_frame_after_other_segments() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46];
        jpeg.extend([0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x28, 0x00, 0x78, 0x03, 0, 0, 0, 0]);
        assert_eq!(jpeg_size(&jpeg), Some((120, 40)));
        assert_eq!(jpeg_size(b"\x89PNG...."), None);
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
