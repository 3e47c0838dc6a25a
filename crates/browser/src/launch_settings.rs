//! A managed browser's settings (`session.launch {browser}`, from the config file) as the
//! browser takes them: command-line flags for the Chromium the hub starts
//! ([`browser_flags`]), CDP calls made on every tab it attaches ([`page_setup`]), and the
//! allowed/blocked origin rules ([`OriginRules`]) enforced on every request of those tabs
//! (the `Fetch` domain: a blocked request fails as `BlockedByClient`) and on `nav.goto`
//! (`origin_blocked` naming the rule). All pure and unit-tested.

use crate::devices::device;
use crate::error::{err, Error};
use opendevbrowser_api::commands::BrowserSettings;
use serde_json::{json, Value};

/// The Chromium flags for `settings` (after the hub's own, so a later one wins).
pub fn browser_flags(settings: &BrowserSettings) -> Vec<String> {
    let mut flags = settings.args.clone();
    if let Some(proxy) = &settings.proxy {
        flags.push(format!("--proxy-server={proxy}"));
    }
    if !settings.proxy_bypass.is_empty() {
        flags.push(format!("--proxy-bypass-list={}", settings.proxy_bypass.join(";")));
    }
    if settings.ignore_https_errors {
        flags.push("--ignore-certificate-errors".to_owned());
    }
    if let Some(v) = settings.viewport {
        flags.push(format!("--window-size={},{}", v.width, v.height));
    }
    flags
}

/// The calls that give a newly attached tab the settings: device or viewport, user
/// agent, locale, time zone, init scripts. `browser_agent` is the browser's own user agent
/// (`Browser.getVersion`), kept when only the language changes. `invalid_param` for an
/// unknown device.
pub fn page_setup(settings: &BrowserSettings, browser_agent: &str) -> Result<Vec<(&'static str, Value)>, Error> {
    let mut calls = Vec::new();
    let preset = settings.device.as_deref().map(device).transpose()?;
    if let Some(d) = preset {
        calls.push(("Emulation.setDeviceMetricsOverride", d.metrics()));
        calls.push(("Emulation.setTouchEmulationEnabled", json!({"enabled": d.is_mobile(), "maxTouchPoints": 5})));
    } else if let Some(v) = settings.viewport {
        let metrics = json!({"width": v.width, "height": v.height, "deviceScaleFactor": 0, "mobile": false});
        calls.push(("Emulation.setDeviceMetricsOverride", metrics));
    }
    // A locale also needs the user agent override's language (`navigator.language`,
    // `Accept-Language`), which comes with a user agent: the browser's own when the
    // settings name none.
    let agent = settings.user_agent.as_deref().or(preset.and_then(|d| d.user_agent()));
    if agent.is_some() || settings.locale.is_some() {
        let mut ua = json!({"userAgent": agent.unwrap_or(browser_agent)});
        if let Some(locale) = &settings.locale {
            ua["acceptLanguage"] = json!(locale);
        }
        calls.push(("Emulation.setUserAgentOverride", ua));
    }
    if let Some(locale) = &settings.locale {
        calls.push(("Emulation.setLocaleOverride", json!({"locale": locale})));
    }
    if let Some(zone) = &settings.timezone {
        calls.push(("Emulation.setTimezoneOverride", json!({"timezoneId": zone})));
    }
    for source in &settings.init_scripts {
        calls.push(("Page.addScriptToEvaluateOnNewDocument", json!({"source": source})));
    }
    Ok(calls)
}

/// Which origins may load.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OriginRules {
    allowed: Vec<String>,
    blocked: Vec<String>,
}

impl OriginRules {
    /// The rules of `settings`.
    pub fn of(settings: &BrowserSettings) -> OriginRules {
        OriginRules { allowed: settings.allowed_origins.clone(), blocked: settings.blocked_origins.clone() }
    }

    /// Whether there are any rules (no rules: nothing is intercepted).
    pub fn is_empty(&self) -> bool {
        self.allowed.is_empty() && self.blocked.is_empty()
    }

    /// `Err(why)` when `url` may not load: it matches a `blocked_origins` rule, or
    /// `allowed_origins` is set and it matches none. Only web URLs are judged (`http`,
    /// `https`, `ws`, `wss`); `about:`, `data:`, `blob:` and the like always load.
    pub fn verdict(&self, url: &str) -> Result<(), String> {
        let Some((scheme, host, origin)) = split(url) else { return Ok(()) };
        if let Some(rule) = self.blocked.iter().find(|r| matches(r, scheme, host, &origin)) {
            return Err(format!("{origin} is blocked by the rule {rule:?} of blocked_origins (config file)"));
        }
        if !self.allowed.is_empty() && !self.allowed.iter().any(|r| matches(r, scheme, host, &origin)) {
            return Err(format!("{origin} is not in allowed_origins (config file): {}", self.allowed.join(", ")));
        }
        Ok(())
    }

    /// [`verdict`](Self::verdict) as the error `nav.goto` answers.
    pub fn check_navigation(&self, url: &str) -> Result<(), Error> {
        self.verdict(url).map_err(|why| err("origin_blocked", why))
    }
}

/// A web URL's scheme, host and origin (`scheme://host[:port]`).
fn split(url: &str) -> Option<(&str, &str, String)> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https" | "ws" | "wss") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    Some((scheme, host, format!("{scheme}://{authority}")))
}

/// A rule is an origin (`https://app.example`, `http://127.0.0.1:3000`; its host may start
/// with `*.`) or a host alone (`ads.example`, `*.tracker.test`: any scheme and port).
/// `*.x` matches `x` and every subdomain of it.
fn matches(rule: &str, scheme: &str, host: &str, origin: &str) -> bool {
    match rule.split_once("://") {
        Some((rule_scheme, rule_authority)) if rule_authority.starts_with("*.") => {
            rule_scheme == scheme && host_matches(rule_authority.split(':').next().unwrap_or_default(), host)
        }
        Some(_) => rule.trim_end_matches('/') == origin,
        None => host_matches(rule, host),
    }
}

fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(base) => host == base || host.ends_with(&format!(".{base}")),
        None => pattern.eq_ignore_ascii_case(host),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opendevbrowser_api::config::Viewport;

    fn rules(allowed: &[&str], blocked: &[&str]) -> OriginRules {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        OriginRules { allowed: v(allowed), blocked: v(blocked) }
    }

    #[test]
    fn blocked_rules_name_themselves_and_win_over_allowed() {
        let r = rules(&["*.example.com"], &["ads.example.com", "http://127.0.0.1:9"]);
        assert!(r.verdict("https://app.example.com/x").is_ok());
        assert!(r.verdict("https://example.com").is_ok(), "*.x matches x itself");
        let why = r.verdict("https://ads.example.com/pixel.gif").unwrap_err();
        assert!(why.contains("\"ads.example.com\""), "{why}");
        assert!(r.verdict("http://127.0.0.1:9/a").is_err());
        let why = r.verdict("https://other.test/").unwrap_err();
        assert!(why.contains("not in allowed_origins"), "{why}");
    }

    #[test]
    fn non_web_urls_always_load_and_ports_count_in_origins() {
        let r = rules(&["http://127.0.0.1:3000"], &[]);
        for url in ["about:blank", "data:text/html,hi", "blob:http://x/1", "chrome://version"] {
            assert!(r.verdict(url).is_ok(), "{url}");
        }
        assert!(r.verdict("http://127.0.0.1:3000/page?x=1").is_ok());
        assert!(r.verdict("http://127.0.0.1:3001/").is_err());
        assert!(r.verdict("http://user@127.0.0.1:3000/").is_ok(), "credentials are not the origin");
        assert!(OriginRules::default().is_empty());
    }

    #[test]
    fn settings_become_flags_and_per_tab_calls() {
        let s = BrowserSettings {
            proxy: Some("http://127.0.0.1:3128".into()),
            proxy_bypass: vec!["localhost".into(), "*.internal".into()],
            ignore_https_errors: true,
            viewport: Some(Viewport { width: 800, height: 600 }),
            locale: Some("de-DE".into()),
            timezone: Some("Europe/Berlin".into()),
            init_scripts: vec!["window.x = 1".into()],
            ..BrowserSettings::default()
        };
        let flags = browser_flags(&s);
        assert_eq!(
            flags,
            [
                "--proxy-server=http://127.0.0.1:3128",
                "--proxy-bypass-list=localhost;*.internal",
                "--ignore-certificate-errors",
                "--window-size=800,600"
            ]
        );
        let methods: Vec<&str> = page_setup(&s, "Chrome/1").unwrap().iter().map(|(m, _)| *m).collect();
        assert_eq!(
            methods,
            [
                "Emulation.setDeviceMetricsOverride",
                "Emulation.setUserAgentOverride",
                "Emulation.setLocaleOverride",
                "Emulation.setTimezoneOverride",
                "Page.addScriptToEvaluateOnNewDocument"
            ]
        );
        let bad = BrowserSettings { device: Some("Nokia".into()), ..BrowserSettings::default() };
        assert!(page_setup(&bad, "Chrome/1").is_err());
    }
}
