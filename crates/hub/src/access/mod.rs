//! Who may talk to the hub: loopback peers only, a loopback `Host` (DNS-rebinding
//! defence), no web-page origins, and on the pairing endpoints (`/pair`, `/extension`)
//! only our extension (its id is fixed by the key in its manifest) or the ids the user
//! allows in `hub.json`.
//!
//! An `Origin` check stops web pages and other extensions, not other local programs: any
//! of them can omit the header. So a pairing request without an `Origin` must carry the
//! relay token (`Authorization: Bearer`, from the 0600 `hub.json`); other OS users are
//! refused before any of this (`crate::access::same_user`).

pub mod same_user;

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
    /// Extension ids `/pair` and `/extension` accept besides ours
    /// ([`pairing::EXTENSION_ID`]): `allowedExtensionIds` in `hub.json`.
    pub allowed_extension_ids: Vec<String>,
    /// The relay token: what a pairing request without an `Origin` must present.
    pub relay_token: Option<String>,
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
        check_loopback(peer)?;
        check_host(headers)?;
        let caller = classify_origin(headers)?;
        if sensitivity == Sensitivity::Pairing {
            match &caller {
                Caller::Extension(id) if self.allows(id) => {}
                Caller::Extension(id) => {
                    return Err(forbidden(
                        "extension_not_allowed",
                        format!(
                            "Forbidden: extension {id} is not opendevbrowser's ({}); to let it pair, add its id \
                             to allowedExtensionIds in hub.json",
                            pairing::EXTENSION_ID
                        ),
                    ))
                }
                Caller::Local if self.bearer_matches(headers) => {}
                Caller::Local => {
                    return Err(forbidden(
                        "origin_required",
                        "Forbidden: pairing needs the extension's Origin, or Authorization: Bearer <relayToken \
                         from hub.json>",
                    ))
                }
            }
        }
        Ok(caller)
    }

    /// Whether extension `id` may pair: ours, or one the user allowed.
    pub fn allows(&self, id: &str) -> bool {
        id == pairing::EXTENSION_ID || self.allowed_extension_ids.iter().any(|a| a == id)
    }

    fn bearer_matches(&self, headers: &HeaderMap) -> bool {
        matches!((bearer(headers), &self.relay_token), (Some(given), Some(token)) if tokens_equal(given, token))
    }
}

/// Refuses a peer off loopback (`non_loopback_peer`).
pub fn check_loopback(peer: SocketAddr) -> Result<(), HubError> {
    if peer.ip().is_loopback() {
        Ok(())
    } else {
        Err(forbidden("non_loopback_peer", "Forbidden: local requests only"))
    }
}

/// The peer the listener handed on as `ConnectInfo` ([`same_user`]); a request that did
/// not come through it has none and is treated as off loopback (`0.0.0.0:0`).
pub fn peer_of(parts: &axum::http::request::Parts) -> SocketAddr {
    let handed_on = parts.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>();
    handed_on.map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |c| c.0)
}

/// The token of an `Authorization: Bearer <token>` header, trimmed (`None` without one).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim)
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
        assert_eq!(p.check(local(), &ext, Sensitivity::Normal).unwrap(), Caller::Extension("abc".into()));
        assert_eq!(p.check(local(), &HeaderMap::new(), Sensitivity::Normal).unwrap(), Caller::Local);
    }

    #[test]
    fn non_loopback_peers_are_refused() {
        let peer: SocketAddr = "192.168.1.5:4000".parse().unwrap();
        let err = AccessPolicy::default().check(peer, &HeaderMap::new(), Sensitivity::Normal).unwrap_err();
        assert_eq!(err.code(), "non_loopback_peer");
    }

    #[test]
    fn pairing_endpoints_take_our_extension_and_the_allowed_ids_only() {
        let p = AccessPolicy { allowed_extension_ids: vec!["good".into()], relay_token: Some("tok".into()) };
        let ours = headers(&[("origin", "chrome-extension://mpkgehknfgpdeghekbkgbgcfcihhfejp")]);
        let good = headers(&[("origin", "chrome-extension://good")]);
        let other = headers(&[("origin", "chrome-extension://other")]);
        assert!(p.check(local(), &ours, Sensitivity::Pairing).is_ok());
        assert!(p.check(local(), &good, Sensitivity::Pairing).is_ok());
        let refused = p.check(local(), &other, Sensitivity::Pairing).unwrap_err();
        assert_eq!(refused.code(), "extension_not_allowed");
        assert!(refused.to_string().contains("allowedExtensionIds"), "{refused}");
        assert!(p.check(local(), &other, Sensitivity::Normal).is_ok(), "other endpoints do not pin");
        assert!(AccessPolicy::default().check(local(), &ours, Sensitivity::Pairing).is_ok(), "ours by default");
    }

    #[test]
    fn a_pairing_request_without_origin_needs_the_relay_token() {
        let p = AccessPolicy { allowed_extension_ids: vec![], relay_token: Some("tok".into()) };
        let bare = p.check(local(), &HeaderMap::new(), Sensitivity::Pairing).unwrap_err();
        assert_eq!(bare.code(), "origin_required");
        let wrong = headers(&[("authorization", "Bearer nope")]);
        assert_eq!(p.check(local(), &wrong, Sensitivity::Pairing).unwrap_err().code(), "origin_required");
        let right = headers(&[("authorization", "Bearer tok")]);
        assert_eq!(p.check(local(), &right, Sensitivity::Pairing).unwrap(), Caller::Local);
        let no_token = AccessPolicy::default();
        assert_eq!(no_token.check(local(), &right, Sensitivity::Pairing).unwrap_err().code(), "origin_required");
    }

    #[test]
    fn token_comparison_rejects_near_misses() {
        assert!(tokens_equal("abcd", "abcd"));
        assert!(!tokens_equal("abc", "abcd"));
        assert!(!tokens_equal("abce", "abcd"));
        assert!(!tokens_equal("", "abcd"));
    }
}
