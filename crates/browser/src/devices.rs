//! The device presets `page.emulate {device}` and the config file's `device` know: CSS
//! viewport, pixel ratio, touch, user agent. Plain data.

use crate::error::Error;
use serde_json::json;

/// A device preset: CSS viewport, pixel ratio, mobile (touch), user agent.
pub struct Device {
    /// Its name as `page.emulate` takes it.
    pub name: &'static str,
    /// CSS viewport width.
    pub width: u32,
    /// CSS viewport height.
    pub height: u32,
    /// Device pixel ratio.
    pub scale: f64,
    /// A touch device.
    pub mobile: bool,
    /// Its own user agent, if any.
    pub user_agent: Option<&'static str>,
}

/// The presets `page.emulate {device}` knows.
pub const DEVICES: [Device; 4] = [
    Device {
        name: "iPhone 15",
        width: 393,
        height: 852,
        scale: 3.0,
        mobile: true,
        user_agent: Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
    },
    Device {
        name: "Pixel 7",
        width: 412,
        height: 915,
        scale: 2.625,
        mobile: true,
        user_agent: Some("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"),
    },
    Device {
        name: "iPad Mini",
        width: 768,
        height: 1024,
        scale: 2.0,
        mobile: true,
        user_agent: Some("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
    },
    Device { name: "Desktop 1080p", width: 1920, height: 1080, scale: 1.0, mobile: false, user_agent: None },
];

impl Device {
    /// Its `Emulation.setDeviceMetricsOverride` params.
    pub fn metrics(&self) -> serde_json::Value {
        json!({"width": self.width, "height": self.height, "deviceScaleFactor": self.scale, "mobile": self.mobile})
    }

    /// Whether it is a touch device.
    pub fn is_mobile(&self) -> bool {
        self.mobile
    }

    /// Its user agent, if it has its own.
    pub fn user_agent(&self) -> Option<&'static str> {
        self.user_agent
    }
}

/// The preset called `name` (any case).
pub fn device(name: &str) -> Result<&'static Device, Error> {
    DEVICES.iter().find(|d| d.name.eq_ignore_ascii_case(name)).ok_or_else(|| {
        let known: Vec<&str> = DEVICES.iter().map(|d| d.name).collect();
        Error::param("device", format!("unknown device {name:?}: one of {}", known.join(", ")))
    })
}
