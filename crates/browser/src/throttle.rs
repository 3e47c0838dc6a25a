//! Network speed for `page.emulate {network}` or custom figures: the conditions
//! `Network.emulateNetworkConditions` takes. The presets are Chrome DevTools' (its "Fast
//! 3G" is now called "Slow 4G": both names are the same figures here). Pure.

use crate::error::Error;
use serde_json::{json, Value};

/// Latency (ms), download and upload (bytes/s; -1: no limit), offline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conditions {
    /// Added round-trip latency.
    pub latency_ms: f64,
    /// Bytes per second (-1: no limit).
    pub download: f64,
    /// Bytes per second (-1: no limit).
    pub upload: f64,
    /// Cut off.
    pub offline: bool,
}

impl Conditions {
    /// No throttling.
    pub const NONE: Conditions = Conditions { latency_ms: 0.0, download: -1.0, upload: -1.0, offline: false };

    /// The `Network.emulateNetworkConditions` params.
    pub fn params(&self) -> Value {
        json!({"offline": self.offline, "latency": self.latency_ms, "downloadThroughput": self.download,
            "uploadThroughput": self.upload})
    }
}

/// kbit/s as bytes/s.
fn kbps(k: f64) -> f64 {
    k * 1000.0 / 8.0
}

/// The conditions a preset names, or the custom figures; `None` when nothing was asked.
pub fn conditions(
    preset: Option<&str>,
    latency_ms: Option<f64>,
    download_kbps: Option<f64>,
    upload_kbps: Option<f64>,
) -> Result<Option<Conditions>, Error> {
    let base = match preset {
        None if latency_ms.is_none() && download_kbps.is_none() && upload_kbps.is_none() => return Ok(None),
        None | Some("none") => Conditions::NONE,
        Some("offline") => Conditions { offline: true, ..Conditions::NONE },
        Some("slow-3g") => {
            Conditions { latency_ms: 2000.0, download: kbps(400.0), upload: kbps(400.0), offline: false }
        }
        Some("fast-3g") | Some("slow-4g") => {
            Conditions { latency_ms: 562.5, download: kbps(1440.0), upload: kbps(675.0), offline: false }
        }
        Some("fast-4g") => {
            Conditions { latency_ms: 165.0, download: kbps(8100.0), upload: kbps(1350.0), offline: false }
        }
        Some(other) => {
            return Err(Error::param(
                "network",
                format!("unknown preset {other:?}: none, offline, slow-3g, fast-3g, slow-4g or fast-4g"),
            ))
        }
    };
    Ok(Some(Conditions {
        latency_ms: latency_ms.unwrap_or(base.latency_ms),
        download: download_kbps.map(kbps).unwrap_or(base.download),
        upload: upload_kbps.map(kbps).unwrap_or(base.upload),
        offline: base.offline,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_devtools_figures_and_custom_figures_override_them() {
        let slow = conditions(Some("slow-3g"), None, None, None).unwrap().unwrap();
        assert_eq!((slow.latency_ms, slow.download, slow.upload), (2000.0, 50_000.0, 50_000.0));
        assert_eq!(
            conditions(Some("fast-3g"), None, None, None).unwrap(),
            conditions(Some("slow-4g"), None, None, None).unwrap()
        );
        let custom = conditions(None, Some(100.0), Some(800.0), None).unwrap().unwrap();
        assert_eq!((custom.latency_ms, custom.download, custom.upload), (100.0, 100_000.0, -1.0));
        assert!(conditions(Some("offline"), None, None, None).unwrap().unwrap().offline);
        assert_eq!(conditions(None, None, None, None).unwrap(), None);
        assert!(conditions(Some("5g"), None, None, None).is_err());
    }
}
