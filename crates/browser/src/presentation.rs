//! How the active tab presents itself and prints: viewport size, device (pixel ratio,
//! touch, user agent), the rest of its environment ([`crate::environment`]: network and
//! CPU speed, location, locale, time zone, media features, permissions) (`page.emulate`, every mode: `chrome.debugger`
//! allows the `Emulation` domain, and Chrome drops the overrides when it detaches), and the
//! page as a PDF (`page.pdf`: only a headless browser prints, so a managed headless
//! session).

use crate::actions::decode_base64;
use crate::ctx::{on_active_target, Ctx};
use crate::devices::device;
use crate::error::{err, Error};
use opendevbrowser_api::commands::{Emulate, Emulation, Pdf, PdfFile};
use opendevbrowser_api::CdpError;
use serde_json::{json, Value};

/// What the page reports about itself.
const SEEN_JS: &str = "({width: innerWidth, height: innerHeight, scale: devicePixelRatio, \
    touch: navigator.maxTouchPoints > 0, userAgent: navigator.userAgent, offline: !navigator.onLine, \
    language: navigator.language, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone, \
    colorScheme: matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light', \
    reducedMotion: matchMedia('(prefers-reduced-motion: reduce)').matches})";

on_active_target!(Emulate => Emulation, |cmd, ctx| ctx.emulate(cmd).await);
on_active_target!(Pdf => PdfFile, |cmd, ctx| ctx.pdf(cmd).await);

impl Ctx<'_> {
    async fn emulate(&self, cmd: Emulate) -> Result<Emulation, Error> {
        let preset = cmd.device.as_deref().map(device).transpose()?;
        if cmd.reset == Some(true) {
            self.input("Emulation.clearDeviceMetricsOverride", json!({})).await?;
            self.input("Emulation.setTouchEmulationEnabled", json!({"enabled": false})).await?;
            self.input("Emulation.setUserAgentOverride", json!({"userAgent": ""})).await?;
            self.reset_environment().await?;
        }
        let metrics_asked = preset.is_some()
            || cmd.width.is_some()
            || cmd.height.is_some()
            || cmd.device_scale_factor.is_some()
            || cmd.mobile.is_some();
        if metrics_asked {
            let now = self.eval(SEEN_JS).await?;
            let dim = |asked: Option<u32>, preset: Option<u32>, key: &str| {
                asked.or(preset).unwrap_or_else(|| now[key].as_u64().unwrap_or(800) as u32)
            };
            let mobile = cmd.mobile.or(preset.map(|d| d.mobile)).unwrap_or(false);
            let metrics = json!({
                "width": dim(cmd.width, preset.map(|d| d.width), "width"),
                "height": dim(cmd.height, preset.map(|d| d.height), "height"),
                "deviceScaleFactor": cmd.device_scale_factor.or(preset.map(|d| d.scale)).unwrap_or(1.0),
                "mobile": mobile,
            });
            self.input("Emulation.setDeviceMetricsOverride", metrics).await?;
            let touch = json!({"enabled": mobile, "maxTouchPoints": if mobile { 5 } else { 1 }});
            self.input("Emulation.setTouchEmulationEnabled", touch).await?;
        }
        if let Some(agent) = cmd.user_agent.as_deref().or(preset.and_then(|d| d.user_agent)) {
            self.input("Emulation.setUserAgentOverride", json!({"userAgent": agent})).await?;
        }
        self.set_environment(&cmd).await?;
        let seen = self.eval(SEEN_JS).await?;
        Ok(seen_emulation(&seen))
    }

    async fn pdf(&self, cmd: Pdf) -> Result<PdfFile, Error> {
        let params = json!({"landscape": cmd.landscape.unwrap_or(false),
            "printBackground": cmd.print_background.unwrap_or(false), "transferMode": "ReturnAsBase64"});
        let printed = self.input("Page.printToPDF", params).await.map_err(pdf_refusal)?;
        let base64 = printed["data"].as_str().unwrap_or_default();
        let bytes = decode_base64(base64).filter(|b| b.starts_with(b"%PDF"));
        let bytes = bytes.ok_or_else(|| err("pdf_failed", "the browser answered no PDF"))?;
        let path = cmd.path.map(std::path::PathBuf::from).unwrap_or_else(|| {
            std::env::temp_dir().join(format!("opendevbrowser-{}.pdf", opendevbrowser_api::clock::random_hex(6)))
        });
        std::fs::write(&path, &bytes)
            .map_err(|e| err("pdf_failed", format!("cannot write {}: {e}", path.display())))?;
        let data = (cmd.inline == Some(true)).then(|| base64.to_owned());
        Ok(PdfFile { path: path.display().to_string(), bytes: bytes.len(), data })
    }
}

/// A browser that will not print (a headed Chrome: "PrintToPDF is only supported in
/// headless mode") is `not_supported`, with the way to a browser that does.
fn pdf_refusal(e: Error) -> Error {
    match e {
        Error::Cdp(CdpError::Protocol { message, .. }) => err(
            "not_supported",
            format!(
                "this browser cannot print to PDF ({message}): only a headless browser prints; \
                 use a managed session (session.launch mode managed, headless)"
            ),
        ),
        other => other,
    }
}

fn seen_emulation(seen: &Value) -> Emulation {
    Emulation {
        width: seen["width"].as_u64().unwrap_or(0) as u32,
        height: seen["height"].as_u64().unwrap_or(0) as u32,
        device_scale_factor: seen["scale"].as_f64().unwrap_or(1.0),
        touch: seen["touch"] == true,
        user_agent: seen["userAgent"].as_str().unwrap_or_default().to_owned(),
        offline: seen["offline"] == true,
        language: seen["language"].as_str().unwrap_or_default().to_owned(),
        timezone: seen["timezone"].as_str().unwrap_or_default().to_owned(),
        color_scheme: seen["colorScheme"].as_str().unwrap_or_default().to_owned(),
        reduced_motion: seen["reducedMotion"] == true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_found_in_any_case_and_an_unknown_one_lists_the_known() {
        let phone = device("iphone 15").unwrap();
        assert_eq!((phone.width, phone.height, phone.mobile), (393, 852, true));
        let Err(Error::Param(e)) = device("Nokia 3310") else { panic!("an unknown device is a param error") };
        assert!(e.to_string().contains("Pixel 7") && e.to_string().contains("Desktop 1080p"), "{e}");
    }

    #[test]
    fn a_headed_chromes_refusal_to_print_is_not_supported_and_names_the_way_out() {
        let headed = CdpError::Protocol {
            method: "Page.printToPDF".into(),
            code: Some(-32000),
            message: "PrintToPDF is only supported in headless mode".into(),
        };
        let Error::Browser(e) = pdf_refusal(headed.into()) else { panic!("a browser error") };
        assert_eq!(e.code, "not_supported");
        assert!(e.message.contains("headless mode") && e.message.contains("mode managed"), "{}", e.message);
        let gone = CdpError::ShuttingDown;
        assert_eq!(pdf_refusal(gone.clone().into()), Error::Cdp(gone), "other failures keep their own code");
    }
}
