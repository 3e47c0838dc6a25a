//! The config file, `opendevbrowser.toml` (in the config dir, or `--config FILE`): defaults
//! for the sessions the CLI and the MCP server launch, and the settings of the managed
//! browser. Environment variables (`OPENDEVBROWSER_<KEY>`) override the file, command-line
//! flags override both. Unknown keys are an error naming the key. [`Config::load`] is pure
//! apart from reading the file and the environment it is given; it records where each
//! value came from for `opendevbrowser config show`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file's name in the config dir.
pub const FILE_NAME: &str = "opendevbrowser.toml";

/// Every key: its name, its TOML type (for the environment's text), and what it does.
pub const KEYS: &[(&str, Kind, &str)] = &[
    ("mode", Kind::Text, "session mode when none is asked: extension or managed"),
    ("headless", Kind::Bool, "managed browsers without a window (default true)"),
    ("browser_path", Kind::Text, "the browser a managed session starts (env also OPENDEVBROWSER_CHROME)"),
    ("browser_args", Kind::List, "extra command-line flags for the managed browser"),
    ("proxy", Kind::Text, "proxy server for the managed browser, e.g. http://127.0.0.1:3128"),
    ("proxy_bypass", Kind::List, "hosts that skip the proxy, e.g. [\"*.internal\", \"localhost\"]"),
    ("ignore_https_errors", Kind::Bool, "accept self-signed and invalid certificates (dev servers)"),
    ("viewport", Kind::Table, "page size, { width = 1280, height = 800 }"),
    ("device", Kind::Text, "device to emulate in every tab: iPhone 15, Pixel 7, iPad Mini, Desktop 1080p"),
    ("user_agent", Kind::Text, "user agent of every tab"),
    ("locale", Kind::Text, "locale of every tab, e.g. de-DE"),
    ("timezone", Kind::Text, "time zone of every tab, e.g. Europe/Berlin"),
    ("init_scripts", Kind::List, "JavaScript files run in every new document, before the page's own"),
    ("allowed_origins", Kind::List, "if set, only these origins load (e.g. https://app.example, *.example.com)"),
    ("blocked_origins", Kind::List, "origins that never load, navigation or subresource"),
    ("downloads_dir", Kind::Text, "where a managed session's downloads go"),
    ("idle_release_secs", Kind::Integer, "MCP: give the user's Chrome back after this long idle (default 60)"),
    ("wait_ms", Kind::Integer, "wait this long for a busy browser before relay_busy (default 0)"),
    ("remote_token", Kind::Text, "connect: a remote endpoint's token, sent as ?token= (secret: shown as ***)"),
    ("remote_bearer", Kind::Text, "connect: sent as Authorization: Bearer … (secret: shown as ***)"),
    ("remote_basic_auth", Kind::Text, "connect: user:password, sent as basic auth (secret: shown as ***)"),
    ("remote_ca_file", Kind::Text, "connect: a PEM CA certificate trusted for wss:// besides the system's"),
];

/// The keys whose values are secrets: `config show` prints `***`.
pub const SECRET_KEYS: &[&str] = &["remote_token", "remote_bearer", "remote_basic_auth"];

/// How a key's environment text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// As is.
    Text,
    /// `true` / `false`.
    Bool,
    /// A whole number.
    Integer,
    /// Comma-separated.
    List,
    /// `WxH` (the viewport).
    Table,
}

/// The effective settings (every key optional: unset means the built-in default).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // each key is described in [`KEYS`]
pub struct Config {
    pub mode: Option<String>,
    pub headless: Option<bool>,
    pub browser_path: Option<String>,
    pub browser_args: Option<Vec<String>>,
    pub proxy: Option<String>,
    pub proxy_bypass: Option<Vec<String>>,
    pub ignore_https_errors: Option<bool>,
    pub viewport: Option<Viewport>,
    pub device: Option<String>,
    pub user_agent: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub init_scripts: Option<Vec<String>>,
    pub allowed_origins: Option<Vec<String>>,
    pub blocked_origins: Option<Vec<String>>,
    pub downloads_dir: Option<String>,
    pub idle_release_secs: Option<u64>,
    pub wait_ms: Option<u64>,
    pub remote_token: Option<String>,
    pub remote_bearer: Option<String>,
    pub remote_basic_auth: Option<String>,
    pub remote_ca_file: Option<String>,
}

/// A page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Viewport {
    /// CSS pixels.
    pub width: u32,
    /// CSS pixels.
    pub height: u32,
}

/// The settings and where each came from (`file <path>`, `env <VAR>`).
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The settings.
    pub config: Config,
    /// Key → where its value came from.
    pub sources: BTreeMap<String, String>,
    /// The file read, if there was one.
    pub file: Option<PathBuf>,
}

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named with `--config` could not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS's words.
        source: std::io::Error,
    },
    /// The file is not TOML, has an unknown key or a value of the wrong type.
    #[error("{0}")]
    Invalid(String),
}

/// The environment variable of `key`.
pub fn env_var(key: &str) -> String {
    format!("OPENDEVBROWSER_{}", key.to_ascii_uppercase())
}

impl Config {
    /// Reads `explicit` (an error if missing), else `<config dir>/opendevbrowser.toml` (if
    /// present), then lays `env` over it (`env("OPENDEVBROWSER_PROXY")`, …).
    pub fn load(
        explicit: Option<&Path>,
        config_dir: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Loaded, ConfigError> {
        let default_file = config_dir.join(FILE_NAME);
        let (path, text) = match explicit {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
                (Some(path.to_owned()), Some(text))
            }
            None => match std::fs::read_to_string(&default_file) {
                Ok(text) => (Some(default_file), Some(text)),
                Err(_) => (None, None),
            },
        };
        let shown = path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        let mut table: toml::Table = match &text {
            Some(text) => text.parse().map_err(|e| ConfigError::Invalid(format!("{shown} is not valid TOML: {e}")))?,
            None => toml::Table::new(),
        };
        check_keys(&table, &shown)?;
        let mut sources: BTreeMap<String, String> =
            table.keys().map(|k| (k.clone(), format!("file {shown}"))).collect();
        for (key, kind, _) in KEYS {
            let var = env_var(key);
            let value = env(&var).or_else(|| (*key == "browser_path").then(|| env("OPENDEVBROWSER_CHROME")).flatten());
            if let Some(text) = value {
                table.insert(
                    (*key).to_owned(),
                    from_env(*kind, &text).map_err(|e| ConfigError::Invalid(format!("{var}: {e}")))?,
                );
                sources.insert((*key).to_owned(), format!("env {var}"));
            }
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(format!("{shown}: {}", e.message())))?;
        if let Some(mode) = config.mode.as_deref().filter(|m| !matches!(*m, "extension" | "managed")) {
            return Err(ConfigError::Invalid(format!("mode must be extension or managed, not {mode:?}")));
        }
        Ok(Loaded { config, sources, file: path })
    }
}

impl Config {
    /// The managed browser's settings (init scripts read from their files).
    pub fn browser_settings(&self) -> Result<crate::commands::BrowserSettings, ConfigError> {
        let scripts = self.init_scripts.clone().unwrap_or_default();
        let init_scripts = scripts
            .iter()
            .map(|p| std::fs::read_to_string(p).map_err(|source| ConfigError::Read { path: p.into(), source }))
            .collect::<Result<_, _>>()?;
        Ok(crate::commands::BrowserSettings {
            args: self.browser_args.clone().unwrap_or_default(),
            proxy: self.proxy.clone(),
            proxy_bypass: self.proxy_bypass.clone().unwrap_or_default(),
            ignore_https_errors: self.ignore_https_errors.unwrap_or(false),
            viewport: self.viewport,
            device: self.device.clone(),
            user_agent: self.user_agent.clone(),
            locale: self.locale.clone(),
            timezone: self.timezone.clone(),
            init_scripts,
            allowed_origins: self.allowed_origins.clone().unwrap_or_default(),
            blocked_origins: self.blocked_origins.clone().unwrap_or_default(),
            downloads_dir: self.downloads_dir.clone(),
        })
    }

    /// The credentials for `session.connect` (none set: `None`).
    pub fn remote_auth(&self) -> Option<crate::commands::RemoteAuth> {
        let auth = crate::commands::RemoteAuth {
            token: self.remote_token.clone(),
            bearer: self.remote_bearer.clone(),
            basic: self.remote_basic_auth.clone(),
        };
        (!auth.is_empty()).then_some(auth)
    }

    /// The keys that are set, each with its value as `config show` prints it (TOML;
    /// secrets as `***`).
    pub fn shown(&self) -> BTreeMap<String, String> {
        let table = toml::Table::try_from(self).unwrap_or_default();
        let shown = |k: &str, v: toml::Value| if SECRET_KEYS.contains(&k) { "***".to_owned() } else { v.to_string() };
        table.into_iter().map(|(k, v)| (k.clone(), shown(&k, v))).collect()
    }
}

/// An unknown key (or `viewport.<unknown>`) is an error naming it and the known ones.
fn check_keys(table: &toml::Table, file: &str) -> Result<(), ConfigError> {
    for (key, value) in table {
        if !KEYS.iter().any(|(k, _, _)| k == key) {
            let known: Vec<&str> = KEYS.iter().map(|(k, _, _)| *k).collect();
            return Err(ConfigError::Invalid(format!("unknown key `{key}` in {file} (known: {})", known.join(", "))));
        }
        if let (Some(inner), "viewport") = (value.as_table(), key.as_str()) {
            if let Some(bad) = inner.keys().find(|k| !matches!(k.as_str(), "width" | "height")) {
                return Err(ConfigError::Invalid(format!(
                    "unknown key `viewport.{bad}` in {file} (known: width, height)"
                )));
            }
        }
    }
    Ok(())
}

/// An environment variable's text as the TOML value of a key of `kind`.
fn from_env(kind: Kind, text: &str) -> Result<toml::Value, String> {
    Ok(match kind {
        Kind::Text => toml::Value::String(text.to_owned()),
        Kind::Bool => toml::Value::Boolean(match text {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" => false,
            other => return Err(format!("{other:?} is not true or false")),
        }),
        Kind::Integer => toml::Value::Integer(text.parse().map_err(|_| format!("{text:?} is not a whole number"))?),
        Kind::List => toml::Value::Array(
            text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| toml::Value::String(s.into())).collect(),
        ),
        Kind::Table => {
            let (w, h) = text.split_once('x').ok_or_else(|| format!("{text:?} is not WIDTHxHEIGHT"))?;
            let mut t = toml::Table::new();
            t.insert("width".into(), toml::Value::Integer(w.trim().parse().map_err(|_| "width is not a number")?));
            t.insert("height".into(), toml::Value::Integer(h.trim().parse().map_err(|_| "height is not a number")?));
            toml::Value::Table(t)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
        let env: BTreeMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load(None, dir.path(), |k| env.get(k).cloned())
    }

    #[test]
    fn the_file_is_read_and_the_environment_wins() {
        let text = "proxy = \"http://127.0.0.1:1\"\nblocked_origins = [\"*.ads.test\"]\nviewport = { width = 800, height = 600 }\n";
        let loaded =
            load(text, &[("OPENDEVBROWSER_PROXY", "http://127.0.0.1:2"), ("OPENDEVBROWSER_HEADLESS", "false")])
                .unwrap();
        assert_eq!(loaded.config.proxy.as_deref(), Some("http://127.0.0.1:2"));
        assert_eq!(loaded.config.headless, Some(false));
        assert_eq!(loaded.config.viewport, Some(Viewport { width: 800, height: 600 }));
        assert_eq!(loaded.config.blocked_origins, Some(vec!["*.ads.test".to_owned()]));
        assert_eq!(loaded.sources["proxy"], "env OPENDEVBROWSER_PROXY");
        assert!(loaded.sources["blocked_origins"].starts_with("file "));
        assert!(!loaded.sources.contains_key("locale"), "unset keys have no source");
    }

    #[test]
    fn remote_credentials_come_from_the_environment_and_are_never_shown() {
        let loaded =
            load("remote_ca_file = \"/etc/fleet-ca.pem\"\n", &[("OPENDEVBROWSER_REMOTE_TOKEN", "s3cr3t")]).unwrap();
        let auth = loaded.config.remote_auth().unwrap();
        assert_eq!((auth.token.as_deref(), auth.bearer), (Some("s3cr3t"), None));
        let shown = loaded.config.shown();
        assert_eq!(shown["remote_token"], "***");
        assert_eq!(shown["remote_ca_file"], "\"/etc/fleet-ca.pem\"");
        assert!(load("", &[]).unwrap().config.remote_auth().is_none());
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_errors_naming_the_key() {
        let e = load("prox = \"x\"", &[]).unwrap_err().to_string();
        assert!(e.contains("unknown key `prox`") && e.contains("proxy"), "{e}");
        let e = load("viewport = { width = 1, depth = 2 }", &[]).unwrap_err().to_string();
        assert!(e.contains("`viewport.depth`"), "{e}");
        let e = load("headless = \"yes\"", &[]).unwrap_err().to_string();
        assert!(e.contains("headless") || e.contains("bool"), "{e}");
        let e = load("mode = \"cloud\"", &[]).unwrap_err().to_string();
        assert!(e.contains("extension or managed"), "{e}");
        let e = load("", &[("OPENDEVBROWSER_WAIT_MS", "soon")]).unwrap_err().to_string();
        assert!(e.contains("OPENDEVBROWSER_WAIT_MS"), "{e}");
    }

    #[test]
    fn the_environment_reads_lists_and_sizes() {
        let loaded =
            load("", &[("OPENDEVBROWSER_BROWSER_ARGS", "--a, --b"), ("OPENDEVBROWSER_VIEWPORT", "1024x768")]).unwrap();
        assert_eq!(loaded.config.browser_args, Some(vec!["--a".to_owned(), "--b".to_owned()]));
        assert_eq!(loaded.config.viewport, Some(Viewport { width: 1024, height: 768 }));
    }

    #[test]
    fn no_file_is_no_settings_but_a_named_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = Config::load(None, dir.path(), |_| None).unwrap();
        assert_eq!((loaded.config, loaded.file), (Config::default(), None));
        assert!(Config::load(Some(&dir.path().join("nope.toml")), dir.path(), |_| None).is_err());
    }
}
