//! Who may talk to the hub: loopback peers only, a loopback `Host` (DNS-rebinding
//! defence), no web-page origins, and optionally only pinned extension ids.
//!
//! An `Origin` check stops web pages, not other local processes: any local program can
//! omit the header. The pairing token and the RPC bearer token are what keep those out.

use crate::error::HubError;
use axum::http::HeaderMap;
use std::net::SocketAddr;

/// What the `Origin` header says about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No `Origin`: a local program (curl, the hub's own tools).
    Local,
    /// `Origin: chrome-extension://<id>`.
    Extension(String),
}

/// The access rules for one hub.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    /// When non-empty, `/pair` and `/extension` accept only these extension ids.
    pub allowed_extension_ids: Vec<String>,
}

/// Whether an endpoint hands out or uses the pairing secret (`/pair`, `/extension`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    /// `/config`, `/status`, `/cdp`: no pinning.
    Normal,
    /// `/pair`, `/extension`: pinned extension ids apply.
    Pairing,
}

fn forbidden(code: &'static str, message: impl Into<String>) -> HubError {
    HubError::Forbidden { code, message: message.into() }
}

impl AccessPolicy {
    /// Applies every rule to one request; returns who the caller is.
    pub fn check(&self, peer: SocketAddr, headers: &HeaderMap, sensitivity: Sensitivity) -> Result<Caller, HubError> {
        if !peer.ip().is_loopback() {
            return Err(forbidden("non_loopback_peer", "Forbidden: local requests only"));
        }
        check_host(headers)?;
        let caller = classify_origin(headers)?;
        if sensitivity == Sensitivity::Pairing && !self.allowed_extension_ids.is_empty() {
            match &caller {
                Caller::Extension(id) if self.allowed_extension_ids.iter().any(|a| a == id) => {}
                _ => return Err(forbidden(
                    "extension_not_allowed",
                    "Forbidden: this hub only pairs with its pinned extension ids (allowedExtensionIds in hub.json)",
                )),
            }
        }
        Ok(caller)
    }
}

/// The `Origin` header classified: absent, an extension, or refused.
pub fn classify_origin(headers: &HeaderMap) -> Result<Caller, HubError> {
    let Some(origin) = headers.get("origin") else {
        return Ok(Caller::Local);
    };
    let origin = origin.to_str().unwrap_or("");
    match origin.strip_prefix("chrome-extension://") {
        Some(id) if !id.is_empty() => Ok(Caller::Extension(id.trim_end_matches('/').to_owned())),
        _ => Err(forbidden("origin_forbidden", "Forbidden: extension origin required")),
    }
}

/// Refuses a `Host` that is not a loopback name, so a DNS-rebound web page cannot reach us.
pub fn check_host(headers: &HeaderMap) -> Result<(), HubError> {
    let Some(host) = headers.get("host") else {
        return Ok(());
    };
    let host = host.to_str().unwrap_or("");
    if is_loopback_host(host) {
        Ok(())
    } else {
        Err(forbidden(
            "host_forbidden",
            format!("Forbidden: Host must be 127.0.0.1, localhost or [::1] (got {host:?})"),
        ))
    }
}

fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(
            host,
            |(name, port)| {
                if port.bytes().all(|b| b.is_ascii_digit()) {
                    name
                } else {
                    host
                }
            },
        )
    };
    let name = name.to_ascii_lowercase();
    name == "localhost" || name == "::1" || name.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// Compares two secrets in constant time (for equal lengths).
pub fn tokens_equal(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn local() -> SocketAddr {
        "127.0.0.1:5000".parse().unwrap()
    }

    #[test]
    fn loopback_hosts_pass_and_others_fail() {
        for ok in ["127.0.0.1:8787", "localhost", "LOCALHOST:1", "[::1]:8787", "127.1.2.3"] {
            assert!(check_host(&headers(&[("host", ok)])).is_ok(), "{ok}");
        }
        for bad in ["evil.com", "evil.com:8787", "127.0.0.1.evil.com", "10.0.0.1:8787", "localhost.evil:80"] {
            assert_eq!(check_host(&headers(&[("host", bad)])).unwrap_err().code(), "host_forbidden", "{bad}");
        }
    }

    #[test]
    fn web_origins_are_refused_and_extensions_recognised() {
        let p = AccessPolicy::default();
        let web = headers(&[("origin", "https://evil.com")]);
        assert_eq!(p.check(local(), &web, Sensitivity::Normal).unwrap_err().code(), "origin_forbidden");
        let null = headers(&[("origin", "null")]);
        assert_eq!(p.check(local(), &null, Sensitivity::Normal).unwrap_err().code(), "origin_forbidden");
        let ext = headers(&[("origin", "chrome-extension://abc")]);
        assert_eq!(p.check(local(), &ext, Sensitivity::Pairing).unwrap(), Caller::Extension("abc".into()));
        assert_eq!(p.check(local(), &HeaderMap::new(), Sensitivity::Pairing).unwrap(), Caller::Local);
    }

    #[test]
    fn non_loopback_peers_are_refused() {
        let peer: SocketAddr = "192.168.1.5:4000".parse().unwrap();
        let err = AccessPolicy::default().check(peer, &HeaderMap::new(), Sensitivity::Normal).unwrap_err();
        assert_eq!(err.code(), "non_loopback_peer");
    }

    #[test]
    fn strict_mode_pins_extension_ids_on_pairing_endpoints_only() {
        let p = AccessPolicy { allowed_extension_ids: vec!["good".into()] };
        let good = headers(&[("origin", "chrome-extension://good")]);
        let other = headers(&[("origin", "chrome-extension://other")]);
        assert!(p.check(local(), &good, Sensitivity::Pairing).is_ok());
        assert_eq!(p.check(local(), &other, Sensitivity::Pairing).unwrap_err().code(), "extension_not_allowed");
        assert_eq!(
            p.check(local(), &HeaderMap::new(), Sensitivity::Pairing).unwrap_err().code(),
            "extension_not_allowed"
        );
        assert!(p.check(local(), &other, Sensitivity::Normal).is_ok());
    }

    #[test]
    fn token_comparison_rejects_near_misses() {
        assert!(tokens_equal("abcd", "abcd"));
        assert!(!tokens_equal("abc", "abcd"));
        assert!(!tokens_equal("abce", "abcd"));
        assert!(!tokens_equal("", "abcd"));
    }
}
