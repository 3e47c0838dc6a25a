//! Remote CDP endpoints for `session.connect`: the URL a fleet is dialled at (its token in
//! the query), the `Authorization` header (bearer, or basic from the config or from
//! `user:password@` in the URL), TLS for `wss://` with the system's root certificates plus
//! an optional CA file, the endpoint as it may be shown (every secret replaced by `***`),
//! and whether dialling again reaches the same browser. Pure apart from reading the CA file.

use opendevbrowser_api::commands::RemoteAuth;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::Connector;
use url::Url;

/// Query parameters whose values are secrets (shown as `***`).
const SECRET_PARAMS: &[&str] = &["token", "apikey", "api_key", "key", "auth", "access_token", "password", "secret"];

/// A remote endpoint, ready to dial.
#[derive(Clone)]
pub struct Endpoint {
    /// What is dialled (the token included).
    url: Url,
    /// `Authorization` header value.
    authorization: Option<String>,
    /// A PEM CA certificate trusted besides the system's.
    ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

impl Endpoint {
    /// `url` (`ws://` or `wss://`) with `auth`'s credentials; `ca_file` trusted for TLS.
    pub fn new(url: &str, auth: &RemoteAuth, ca_file: Option<&str>) -> Result<Endpoint, String> {
        let mut parsed = Url::parse(url).map_err(|e| format!("`{}` is not a URL: {e}", redact(url)))?;
        if !matches!(parsed.scheme(), "ws" | "wss") {
            return Err(format!("`{}` is not a ws:// or wss:// URL", redact(url)));
        }
        let authorization = authorization(auth, &parsed);
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        if let Some(token) = &auth.token {
            let kept: Vec<(String, String)> = parsed
                .query_pairs()
                .filter(|(k, _)| k != "token")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            parsed.query_pairs_mut().clear().extend_pairs(kept).append_pair("token", token);
        }
        let ca_pem = match ca_file {
            Some(path) => Some(std::fs::read(path).map_err(|e| format!("cannot read the CA file {path}: {e}"))?),
            None => None,
        };
        Ok(Endpoint { url: parsed, authorization, ca_pem })
    }

    /// The endpoint with every secret replaced by `***`: for logs, status and errors.
    pub fn shown(&self) -> String {
        redact(self.url.as_str())
    }

    /// Whether dialling again reaches the same browser: a browser's own endpoint
    /// (`/devtools/browser/<id>`) or a Grid session's CDP (`/session/<id>/se/cdp`). A fleet's
    /// front door (Browserless' `/?token=`) starts a new browser for every connection.
    pub fn reconnects_to_same_browser(&self) -> bool {
        let path = self.url.path();
        path.contains("/devtools/browser/") || path.ends_with("/se/cdp")
    }

    /// The WebSocket handshake request, with the credentials.
    pub fn request(&self) -> Result<Request, String> {
        let mut request = self.url.as_str().into_client_request().map_err(|e| format!("{}: {e}", self.shown()))?;
        if let Some(value) = &self.authorization {
            let value = value.parse().map_err(|_| "the credentials are not a valid header value".to_owned())?;
            request.headers_mut().insert("authorization", value);
        }
        Ok(request)
    }

    /// The TLS connector for `wss://` (the system's roots, plus the CA file's).
    pub fn connector(&self) -> Result<Option<Connector>, String> {
        if self.url.scheme() != "wss" {
            return Ok(None);
        }
        let mut tls = native_tls::TlsConnector::builder();
        if let Some(pem) = &self.ca_pem {
            let ca = native_tls::Certificate::from_pem(pem)
                .map_err(|e| format!("the CA file is not a PEM certificate: {e}"))?;
            tls.add_root_certificate(ca);
        }
        let tls = tls.build().map_err(|e| format!("cannot set up TLS: {e}"))?;
        Ok(Some(Connector::NativeTls(tls)))
    }
}

/// The `Authorization` header for `auth` at `url`: the bearer token, else basic auth from
/// the config's `user:password` or the URL's own `user:password@`.
pub fn authorization(auth: &RemoteAuth, url: &Url) -> Option<String> {
    if let Some(token) = &auth.bearer {
        return Some(format!("Bearer {token}"));
    }
    let basic = auth.basic.clone().or_else(|| {
        (!url.username().is_empty()).then(|| {
            format!("{}:{}", percent_decode(url.username()), percent_decode(url.password().unwrap_or_default()))
        })
    });
    basic.map(|b| format!("Basic {}", opendevbrowser_api::base64::encode(b.as_bytes())))
}

/// `%XX` escapes of a URL part undone (user names and passwords may hold `@` or `:`).
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// `url` with its password and secret query values replaced by `***` (a text that is no
/// URL is cut at its first `?`).
pub fn redact(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.split('?').next().unwrap_or_default().to_owned();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let secret = SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str());
                (k.into_owned(), if secret { "***".to_owned() } else { v.into_owned() })
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.as_str().replace("%2A%2A%2A", "***")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(token: Option<&str>, bearer: Option<&str>, basic: Option<&str>) -> RemoteAuth {
        RemoteAuth { token: token.map(Into::into), bearer: bearer.map(Into::into), basic: basic.map(Into::into) }
    }

    #[test]
    fn a_token_goes_in_the_query_and_is_never_shown() {
        let e =
            Endpoint::new("wss://fleet.example:3000/?stealth=true", &auth(Some("s3cr3t"), None, None), None).unwrap();
        assert_eq!(e.request().unwrap().uri().to_string(), "wss://fleet.example:3000/?stealth=true&token=s3cr3t");
        assert_eq!(e.shown(), "wss://fleet.example:3000/?stealth=true&token=***");
        assert!(!format!("{e:?}").contains("s3cr3t"));
    }

    #[test]
    fn bearer_and_basic_credentials_go_in_the_authorization_header() {
        let e = Endpoint::new("ws://127.0.0.1:9/devtools/browser/x", &auth(None, Some("abc"), None), None).unwrap();
        assert_eq!(e.request().unwrap().headers()["authorization"], "Bearer abc");
        let e = Endpoint::new("wss://ada:p%40ss@grid.example/se/cdp", &RemoteAuth::default(), None).unwrap();
        // "ada:p@ss" in base64; the URL dialled and shown carries no credentials.
        assert_eq!(e.request().unwrap().headers()["authorization"], "Basic YWRhOnBAc3M=");
        assert_eq!(e.shown(), "wss://grid.example/se/cdp");
        let e = Endpoint::new("ws://h/", &auth(None, None, Some("u:pw")), None).unwrap();
        assert_eq!(e.request().unwrap().headers()["authorization"], "Basic dTpwdw==");
    }

    #[test]
    fn secrets_in_any_url_are_redacted() {
        assert_eq!(redact("wss://u:pw@h/x?apiKey=1&token=2&q=3"), "wss://u:***@h/x?apiKey=***&token=***&q=3");
        assert_eq!(redact("not a url?token=1"), "not a url");
    }

    #[test]
    fn only_a_browsers_own_endpoint_reconnects_to_the_same_browser() {
        let none = RemoteAuth::default();
        let yes = ["ws://127.0.0.1:9222/devtools/browser/abc", "wss://grid.example/session/42/se/cdp"];
        let no = ["ws://127.0.0.1:3000/", "wss://chrome.browserless.example?token=x"];
        assert!(yes.iter().all(|u| Endpoint::new(u, &none, None).unwrap().reconnects_to_same_browser()));
        assert!(no.iter().all(|u| !Endpoint::new(u, &none, None).unwrap().reconnects_to_same_browser()));
    }

    #[test]
    fn bad_endpoints_and_ca_files_are_named() {
        let none = RemoteAuth::default();
        assert!(Endpoint::new("http://h/", &none, None).unwrap_err().contains("not a ws:// or wss:// URL"));
        assert!(Endpoint::new("ws://h/?token=zzz x", &none, None).is_ok());
        let err = Endpoint::new("wss://h/", &none, Some("/no/such/ca.pem")).unwrap_err();
        assert!(err.starts_with("cannot read the CA file /no/such/ca.pem"), "{err}");
    }
}
