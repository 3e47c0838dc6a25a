//! Snapshot → refs, DOM reads, screenshots and DevTools polling on the active target of a
//! session. Input is in [`crate::input`], forms in [`crate::forms`].

use crate::ctx::{on_active_target, Ctx};
use crate::error::{err, Error};
use crate::outline::{Mode, Options};
use crate::page_outline;
use crate::session::BrowserSession;
use crate::snapshot::page;
use crate::state::Log;
use crate::SessionOp;
use opendevbrowser_api::commands::*;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

on_active_target!(Snapshot => PageSnapshot, |cmd, ctx| ctx.snapshot(cmd).await);
on_active_target!(Find => Found, |cmd, ctx| ctx.find(cmd).await);
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

fn poll(log: &Log, since: Option<u64>, max: Option<u64>) -> Events {
    let (events, next_seq) = log.since(since.unwrap_or(0), max.unwrap_or(50) as usize);
    Events { events, next_seq }
}

impl Ctx<'_> {
    async fn snapshot(&self, cmd: Snapshot) -> Result<PageSnapshot, Error> {
        let started = Instant::now();
        let mode = match cmd.mode.as_deref() {
            None | Some("outline") => Mode::Outline,
            Some("actionables") => Mode::Actionables,
            Some(other) => return Err(Error::param("mode", format!("must be outline or actionables, not {other:?}"))),
        };
        let max_chars = cmd.max_chars.unwrap_or(16_000).max(100) as usize;
        let cursor = cmd
            .cursor
            .map_or(Ok(0), |c| c.parse::<usize>())
            .map_err(|_| Error::param("cursor", "must be the nextCursor of a previous snapshot"))?;
        let opts = Options { mode, max_depth: cmd.depth.map(|d| d as usize), urls: cmd.urls == Some(true) };
        let out = page_outline::take(self.session, &self.target, &self.cdp, cmd.element.as_deref(), opts).await?;
        if cmd.element.is_none() && mode == Mode::Outline && cmd.depth.is_none() {
            if let Some(t) = self.session.state().targets.get_mut(&self.target) {
                t.last_outline = out.lines.clone();
            }
        }
        let p = page(&out.lines, cursor, max_chars);
        let here = self.eval("({url: location.href, title: document.title})").await.unwrap_or_default();
        let text = |k: &str| here[k].as_str().map(str::to_owned);
        Ok(PageSnapshot {
            url: text("url"),
            title: text("title"),
            content: p.content,
            truncated: p.truncated,
            next_cursor: p.next_cursor,
            ref_count: Some(out.ref_count.into()),
            timing_ms: started.elapsed().as_millis() as u64,
        })
    }

    async fn find(&self, cmd: Find) -> Result<Found, Error> {
        let started = Instant::now();
        if cmd.text.is_none() && cmd.role.is_none() {
            return Err(Error::param("text", "give a text, a role, or both"));
        }
        let out = page_outline::take(self.session, &self.target, &self.cdp, None, Options::default()).await?;
        let wanted = cmd.text.as_deref().map(str::to_lowercase);
        let matching: Vec<String> = out
            .lines
            .iter()
            .map(|l| l.trim_start())
            .filter(|l| {
                let words = page_outline::without_ref(l);
                let role_ok = cmd.role.as_deref().is_none_or(|r| words.split([' ', ':']).next() == Some(r));
                role_ok && wanted.as_deref().is_none_or(|w| words.to_lowercase().contains(w))
            })
            .map(str::to_owned)
            .collect();
        let count = matching.len();
        let matches = matching.into_iter().take(cmd.max.unwrap_or(50) as usize).collect();
        Ok(Found { matches, count, timing_ms: started.elapsed().as_millis() as u64 })
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
        if cmd.full_page == Some(true) {
            if cmd.element.is_some() {
                return Err(Error::param("fullPage", "a full-page screenshot cannot also be of one element (ref)"));
            }
            let metrics = self.input("Page.getLayoutMetrics", json!({})).await?;
            let size = &metrics["cssContentSize"];
            let f = |k: &str| size[k].as_f64().unwrap_or(1.0).ceil().max(1.0);
            shot["captureBeyondViewport"] = json!(true);
            shot["clip"] = json!({"x": 0, "y": 0, "width": f("width"), "height": f("height"), "scale": 1});
        }
        if let Some(r) = &cmd.element {
            let rect = self.ref_op(r, "rect", Value::Null).await?;
            let f = |k: &str| rect[k].as_f64().unwrap_or(0.0);
            shot["clip"] = json!({"x": f("x") + f("scrollX"), "y": f("y") + f("scrollY"), "width": f("width").max(1.0),
                "height": f("height").max(1.0), "scale": 1});
        }
        let data = self.input("Page.captureScreenshot", shot).await?;
        let base64 = data["data"].as_str().unwrap_or("");
        let bytes =
            decode_base64(base64).ok_or_else(|| err("screenshot_failed", "the browser returned no image data"))?;
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
        let data = (cmd.inline == Some(true)).then(|| base64.to_owned());
        Ok(Shot { path: path.display().to_string(), width, height, bytes: bytes.len(), data })
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
pub use opendevbrowser_api::base64::decode as decode_base64;

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
