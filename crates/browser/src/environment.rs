//! The active tab's environment beyond its viewport (`page.emulate`): network speed
//! ([`crate::throttle`]), CPU slowdown, geolocation, locale, time zone, colour scheme and
//! reduced motion, and permissions granted to the page's origin. Permissions (and the
//! geolocation permission a location needs to be read) are the browser's, so only a
//! browser the hub drives (managed, connected) grants them: in the user's Chrome that is
//! `not_supported`, and the page asks the user as usual.

use crate::ctx::Ctx;
use crate::error::{err, Error};
use crate::session::Mode;
use crate::throttle;
use opendevbrowser_api::commands::Emulate;
use serde_json::json;

impl Ctx<'_> {
    /// Everything back to normal: network, CPU, location, locale, time zone, media
    /// features and (managed, connected) permissions (the user agent, and with it the
    /// language a locale set, is `page.emulate`'s own reset).
    pub(crate) async fn reset_environment(&self) -> Result<(), Error> {
        self.input("Network.enable", json!({})).await?;
        self.input("Network.emulateNetworkConditions", throttle::Conditions::NONE.params()).await?;
        self.input("Emulation.setCPUThrottlingRate", json!({"rate": 1})).await?;
        self.input("Emulation.clearGeolocationOverride", json!({})).await?;
        self.input("Emulation.setLocaleOverride", json!({})).await?;
        self.input("Emulation.setTimezoneOverride", json!({"timezoneId": ""})).await?;
        self.input("Emulation.setEmulatedMedia", json!({"features": []})).await?;
        if self.session.mode != Mode::Extension {
            self.session.call("Browser.resetPermissions", json!({}), None).await?;
        }
        Ok(())
    }

    /// Applies what `cmd` asks of the environment (fields left out are left as they are).
    pub(crate) async fn set_environment(&self, cmd: &Emulate) -> Result<(), Error> {
        let network = cmd.network.as_deref().or(cmd.offline.map(|o| if o { "offline" } else { "none" }));
        if let Some(c) = throttle::conditions(network, cmd.latency_ms, cmd.download_kbps, cmd.upload_kbps)? {
            self.input("Network.enable", json!({})).await?;
            self.input("Network.emulateNetworkConditions", c.params()).await?;
        }
        if let Some(rate) = cmd.cpu_slowdown {
            self.input("Emulation.setCPUThrottlingRate", json!({"rate": rate.max(1.0)})).await?;
        }
        match (cmd.latitude, cmd.longitude) {
            (Some(latitude), Some(longitude)) => {
                let at = json!({"latitude": latitude, "longitude": longitude, "accuracy": 10});
                self.input("Emulation.setGeolocationOverride", at).await?;
            }
            (None, None) => {}
            _ => return Err(Error::param("latitude", "latitude and longitude go together")),
        }
        if let Some(locale) = &cmd.locale {
            // The browser refuses a second override until the first is cleared.
            self.input("Emulation.setLocaleOverride", json!({})).await?;
            self.input("Emulation.setLocaleOverride", json!({"locale": locale})).await?;
            // `navigator.language` and `Accept-Language` follow the user agent override's
            // language, which needs the user agent itself.
            let agent = self.eval("navigator.userAgent").await?;
            let agent = json!({"userAgent": agent, "acceptLanguage": locale});
            self.input("Emulation.setUserAgentOverride", agent).await?;
        }
        if let Some(zone) = &cmd.timezone {
            self.input("Emulation.setTimezoneOverride", json!({"timezoneId": ""})).await?;
            self.input("Emulation.setTimezoneOverride", json!({"timezoneId": zone})).await.map_err(|_| {
                Error::param("timezone", format!("{zone:?} is not a time zone the browser knows (e.g. Europe/Berlin)"))
            })?;
        }
        if cmd.color_scheme.is_some() || cmd.reduced_motion.is_some() {
            let mut features = Vec::new();
            if let Some(scheme) = &cmd.color_scheme {
                features.push(json!({"name": "prefers-color-scheme", "value": scheme}));
            }
            if let Some(reduce) = cmd.reduced_motion {
                let value = if reduce { "reduce" } else { "no-preference" };
                features.push(json!({"name": "prefers-reduced-motion", "value": value}));
            }
            self.input("Emulation.setEmulatedMedia", json!({"features": features})).await?;
        }
        if cmd.permissions.is_some() && self.session.mode == Mode::Extension {
            return Err(err(
                "not_supported",
                "the user's Chrome grants permissions itself (the page asks the user): use a managed session",
            ));
        }
        // One grant: the browser replaces an origin's grants with each call's. A location
        // is of no use unless the page may read it.
        let mut grants = cmd.permissions.clone().unwrap_or_default();
        if cmd.latitude.is_some() && self.session.mode != Mode::Extension && !grants.iter().any(|p| p == "geolocation")
        {
            grants.push("geolocation".to_owned());
        }
        if !grants.is_empty() {
            self.grant(&grants).await?;
        }
        Ok(())
    }

    /// Grants exactly `permissions` to the active page's origin (others it had are taken
    /// back).
    async fn grant(&self, permissions: &[String]) -> Result<(), Error> {
        let origin = self.eval("location.origin").await?.as_str().unwrap_or_default().to_owned();
        let params = json!({"permissions": permissions, "origin": origin});
        self.session.call("Browser.grantPermissions", params, None).await.map_err(|e| match e {
            Error::Cdp(opendevbrowser_api::CdpError::Protocol { message, .. }) => {
                Error::param("permissions", format!("the browser refused: {message}"))
            }
            other => other,
        })?;
        Ok(())
    }
}
