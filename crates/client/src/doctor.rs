//! Why the browser is (not) reachable: [`gather`] collects facts about the hub, its relay
//! and the extension (never starting anything); [`diagnose`] turns them into one verdict
//! with a class a program can switch on, a sentence a person can read and the fix to
//! apply. `diagnose` is pure, so every verdict is tested with plain values.

use crate::discovery::{discover_with_status, NotFound};
use crate::extension_files::{self, ExtensionCopy};
use opendevbrowser_api::status::{HubStatus, RelayStatus};
use serde_json::{json, Value};
use std::path::Path;

/// What was found out before diagnosing.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The hub, as discovery found it.
    pub hub: HubFacts,
    /// The relay port the extension is expected on.
    pub relay_port: u16,
    /// Who listens on `relay_port` when no hub answers (`"name (pid N)"`), if anyone.
    pub relay_port_owner: Option<String>,
    /// A loadable copy of the extension on this machine, if one was found.
    pub extension_copy: Option<ExtensionCopy>,
}

/// The hub as discovery found it.
#[derive(Debug, Clone)]
pub enum HubFacts {
    /// No hub: no metadata file, or one naming a hub that does not answer.
    NotFound(NotFound),
    /// A hub answered; its daemon `/status` body.
    Running(Box<HubStatus>),
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// Stable class, e.g. `connected`, `extension_never_seen`.
    pub class: &'static str,
    /// Whether an extension command would work now.
    pub ok: bool,
    /// What is going on, in one or two sentences.
    pub summary: String,
    /// What to do about it (`None` when nothing is needed).
    pub fix: Option<String>,
}

impl Diagnosis {
    fn new(class: &'static str, ok: bool, summary: String, fix: Option<String>) -> Self {
        Diagnosis { class, ok, summary, fix }
    }

    /// `{class, ok, summary, fix}`.
    pub fn to_json(&self) -> Value {
        json!({"class": self.class, "ok": self.ok, "summary": self.summary, "fix": self.fix})
    }

    /// The verdict for people: summary, then the fix.
    pub fn to_text(&self) -> String {
        let mark = if self.ok { "ok" } else { "problem" };
        match &self.fix {
            Some(fix) => format!("{mark}: {} [{}]\nfix: {fix}", self.summary, self.class),
            None => format!("{mark}: {} [{}]", self.summary, self.class),
        }
    }
}

/// Collects the facts: the hub from `<cache_dir>/daemon.json` and its `/status`; when no
/// hub answers, who holds `relay_port`.
pub async fn gather(cache_dir: &Path, relay_port: u16) -> Facts {
    let hub = match discover_with_status(cache_dir).await {
        Ok((_, status)) => HubFacts::Running(Box::new(status)),
        Err(why) => HubFacts::NotFound(why),
    };
    let relay_port_owner = match &hub {
        HubFacts::NotFound(_) => opendevbrowser_api::port_owner::describe_port_owner(relay_port),
        HubFacts::Running(_) => None,
    };
    Facts { hub, relay_port, relay_port_owner, extension_copy: extension_files::find() }
}

/// Diagnoses the facts.
pub fn diagnose(facts: &Facts) -> Diagnosis {
    match &facts.hub {
        HubFacts::NotFound(why) => no_hub(why, facts.relay_port, facts.relay_port_owner.as_deref()),
        HubFacts::Running(status) => running_hub(status, facts.extension_copy.as_ref()),
    }
}

fn no_hub(why: &NotFound, port: u16, owner: Option<&str>) -> Diagnosis {
    if let NotFound::Foreign { port, detail } = why {
        return Diagnosis::new(
            "foreign_hub",
            false,
            format!("daemon.json and port {port} belong to a program that is not this hub: {detail}"),
            Some(crate::error::FOREIGN_HUB_FIX.into()),
        );
    }
    if let Some(owner) = owner {
        return Diagnosis::new(
            "port_taken",
            false,
            format!("no hub answers, and relay port {port} is held by {owner}"),
            Some(format!(
                "stop {owner} if it is not needed; otherwise run the hub on another port \
                 (`opendevbrowser serve --relay-port 8790`) and type that port in the extension's popup"
            )),
        );
    }
    match why {
        NotFound::NoMetadata => Diagnosis::new(
            "hub_not_running",
            false,
            "no hub is running (no daemon.json)".into(),
            Some("run `opendevbrowser serve`, or any browser command: it starts the hub".into()),
        ),
        NotFound::Stale(detail) | NotFound::Foreign { detail, .. } => Diagnosis::new(
            "hub_stale",
            false,
            format!("daemon.json names a hub that is gone: {detail}"),
            Some("the hub stopped without cleaning up; `opendevbrowser ensure` starts a new one".into()),
        ),
    }
}

fn running_hub(status: &HubStatus, copy: Option<&ExtensionCopy>) -> Diagnosis {
    let relay = &status.relay;
    let port = relay.port;
    let hub = short(&status.hub.instance_id);
    if !relay.running {
        return Diagnosis::new(
            "relay_stopped",
            false,
            format!("hub {hub} is up but its relay on port {port} is stopped"),
            Some("restart the hub: `opendevbrowser stop`, then any command starts it again".into()),
        );
    }
    if relay.extension_handshake_complete {
        return connected(status, &hub);
    }
    let error = relay.last_handshake_error.as_ref();
    if relay.extension_connected {
        let last =
            error.map_or_else(String::new, |e| format!(" (the last attempt was refused at {}: {})", e.at, e.message));
        return Diagnosis::new(
            "extension_handshaking",
            false,
            format!("the extension is connected to port {port} but has not completed its handshake yet{last}"),
            Some("wait a few seconds and run `opendevbrowser doctor` again".into()),
        );
    }
    // A refusal explains the state only if no extension connected after it (timestamps are
    // ISO 8601 of one format, so they compare as text).
    if let Some(error) = error {
        let seen_after = relay.extension_last_seen_at.as_deref().is_some_and(|seen| seen > error.at.as_str());
        if let (Some(fix), false) = (handshake_fix(&error.code), seen_after) {
            return Diagnosis::new(
                "handshake_rejected",
                false,
                format!("the relay on port {port} refused the extension at {}: {}", error.at, error.message),
                Some(fix.into()),
            );
        }
    }
    match &relay.extension_left_at {
        Some(at) => Diagnosis::new(
            "extension_disconnected",
            false,
            format!("the extension was connected to port {port} and left at {at}"),
            Some(
                "it comes back by itself while its \"Connect automatically\" switch is on (retries every few \
                 seconds, and a 30 s alarm wakes a sleeping worker); if it does not, its popup says why"
                    .into(),
            ),
        ),
        None => never_seen(relay, copy),
    }
}

fn never_seen(relay: &RelayStatus, copy: Option<&ExtensionCopy>) -> Diagnosis {
    let port = relay.port;
    let mut fix = format!("load the extension: {}", extension_files::load_steps(copy));
    if port != 8787 && relay.discovery_port != Some(8787) {
        fix.push_str(&format!(
            "; this hub does not answer on the discovery port 8787, so type port {port} in the popup"
        ));
    }
    Diagnosis::new(
        "extension_never_seen",
        false,
        format!("the hub's relay on port {port} has not seen the extension since it started"),
        Some(fix),
    )
}

fn handshake_fix(code: &str) -> Option<&'static str> {
    Some(match code {
        "pairing_invalid" | "pairing_missing" => {
            "the extension holds an old or no pairing token: turn \"Pair automatically\" on in its popup \
             (or paste the relayToken from hub.json in the config dir)"
        }
        "extension_not_allowed" => {
            "the hub pairs only with opendevbrowser's own extension (id mpkgehknfgpdeghekbkgbgcfcihhfejp) and \
             the ids in allowedExtensionIds in hub.json: load extension/ from this build, or add the refused \
             extension's id to that list"
        }
        "origin_required" => {
            "a program without an extension Origin asked to pair: it needs Authorization: Bearer <relayToken \
             from hub.json>"
        }
        "other_os_user" => {
            "a process of another OS user tried to connect: each user runs their own hub (on other ports: \
             `opendevbrowser serve --relay-port P --discovery-port D`)"
        }
        "protocol_mismatch" => {
            "the extension and the hub come from different builds: rebuild both (`scripts/run.sh` builds the \
             extension and the hub together), then reload the extension in chrome://extensions"
        }
        "handshake_timeout" => {
            "the extension opened the socket but sent no valid handshake: reload it in chrome://extensions \
             (an old build may speak another protocol)"
        }
        _ => return None,
    })
}

fn connected(status: &HubStatus, hub: &str) -> Diagnosis {
    let relay = &status.relay;
    let title = relay.extension.as_ref().and_then(|e| e.title.as_deref()).unwrap_or("?");
    let binding = match &status.binding {
        None => "the relay binding is free".to_owned(),
        Some(b) => format!(
            "the relay binding is held by {}/{} until {}, {} waiting",
            b.client_id,
            b.instance_id,
            b.expires_at,
            status.queue.len()
        ),
    };
    Diagnosis::new(
        "connected",
        true,
        format!("hub {hub} and the extension are paired on port {} (tab {title:?}); {binding}", relay.port),
        None,
    )
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(relay: Value) -> Facts {
        let mut relay_full = json!({"instanceId": "r", "url": "ws://127.0.0.1:8787", "port": 8787, "running": true,
            "discoveryPort": null, "extensionConnected": false, "extensionHandshakeComplete": false,
            "cdpConnected": false, "pairingRequired": true, "epoch": 1, "hubInstanceId": "0123456789",
            "pendingCommands": 0});
        relay_full.as_object_mut().unwrap().extend(relay.as_object().unwrap().clone());
        let status = json!({"ok": true, "pid": 1, "browserSessions": 0, "relay": relay_full, "binding": null,
            "queue": [], "hub": {"instanceId": "0123456789", "startedAt": "T", "daemonPort": 8788, "version": "0"}});
        Facts {
            hub: HubFacts::Running(Box::new(serde_json::from_value(status).expect("a hub status"))),
            relay_port: 8787,
            relay_port_owner: None,
            extension_copy: None,
        }
    }

    fn status(facts: &mut Facts) -> &mut HubStatus {
        let HubFacts::Running(status) = &mut facts.hub else { unreachable!() };
        status
    }

    #[test]
    fn no_hub_and_a_foreign_process_on_the_port_names_it() {
        let facts = Facts {
            hub: HubFacts::NotFound(NotFound::NoMetadata),
            relay_port: 8787,
            relay_port_owner: Some("python3 (pid 42)".into()),
            extension_copy: None,
        };
        let d = diagnose(&facts);
        assert_eq!((d.class, d.ok), ("port_taken", false));
        assert!(d.summary.contains("python3 (pid 42)") && d.fix.unwrap().contains("--relay-port"));
    }

    #[test]
    fn no_hub_is_told_apart_from_a_stale_one() {
        let mut facts = Facts {
            hub: HubFacts::NotFound(NotFound::NoMetadata),
            relay_port: 8787,
            relay_port_owner: None,
            extension_copy: None,
        };
        assert_eq!(diagnose(&facts).class, "hub_not_running");
        facts.hub = HubFacts::NotFound(NotFound::Stale("pid 7 does not answer on port 8788".into()));
        let d = diagnose(&facts);
        assert_eq!(d.class, "hub_stale");
        assert!(d.summary.contains("pid 7"));
    }

    #[test]
    fn a_foreign_daemon_is_named_even_when_it_also_holds_the_relay_port() {
        let detail = "its /status has the shape of upstream opendevbrowser's Node daemon (pid 9)".to_owned();
        let facts = Facts {
            hub: HubFacts::NotFound(NotFound::Foreign { port: 8788, detail }),
            relay_port: 8787,
            relay_port_owner: Some("node (pid 9)".into()),
            extension_copy: None,
        };
        let d = diagnose(&facts);
        assert_eq!((d.class, d.ok), ("foreign_hub", false));
        assert!(d.summary.contains("port 8788") && d.summary.contains("upstream"), "{}", d.summary);
        assert!(d.fix.unwrap().contains("OPENDEVBROWSER_DAEMON_PORT"));
    }

    #[test]
    fn a_paired_extension_is_ok_and_the_binding_is_described() {
        let mut facts = running(json!({"extensionConnected": true, "extensionHandshakeComplete": true,
            "extension": {"tabId": 1, "title": "Inbox"}}));
        let d = diagnose(&facts);
        assert_eq!((d.class, d.ok, d.fix), ("connected", true, None));
        assert!(d.summary.contains("\"Inbox\"") && d.summary.contains("free"), "{}", d.summary);
        let owner = |i: &str| opendevbrowser_api::Owner { client_id: "c".into(), instance_id: i.into() };
        status(&mut facts).binding = Some(opendevbrowser_api::status::BindingView {
            binding_id: "b".into(),
            client_id: "c".into(),
            instance_id: "p1".into(),
            owner: owner("p1"),
            expires_at: "T".into(),
            expires_in_ms: 1,
            queue_length: 2,
        });
        let waiter = |i: &str| opendevbrowser_api::status::QueueEntry { owner: owner(i), position: 1, waiting_ms: 0 };
        status(&mut facts).queue = vec![waiter("p2"), waiter("p3")];
        assert!(diagnose(&facts).summary.contains("held by c/p1 until T, 2 waiting"));
    }

    #[test]
    fn a_never_seen_extension_on_a_non_default_port_is_told_to_type_the_port() {
        let mut facts = running(json!({}));
        let d = diagnose(&facts);
        assert_eq!(d.class, "extension_never_seen");
        assert!(!d.fix.unwrap().contains("type port"));
        status(&mut facts).relay.port = 8795;
        assert!(diagnose(&facts).fix.unwrap().contains("type port 8795 in the popup"));
        status(&mut facts).relay.discovery_port = Some(8787);
        assert!(!diagnose(&facts).fix.unwrap().contains("type port"), "discovery still finds it");
    }

    #[test]
    fn a_never_seen_extension_is_told_where_its_copy_is_and_which_id_to_expect() {
        let mut facts = running(json!({}));
        facts.extension_copy =
            Some(ExtensionCopy::Zip("/home/ada/Downloads/opendevbrowser-extension-0.1.0.zip".into()));
        let fix = diagnose(&facts).fix.unwrap();
        assert!(fix.contains("unzip /home/ada/Downloads/opendevbrowser-extension-0.1.0.zip"), "{fix}");
        assert!(fix.contains("Load unpacked") && fix.contains(extension_files::EXTENSION_ID), "{fix}");
    }

    #[test]
    fn a_refused_token_or_origin_is_a_handshake_rejection_with_its_fix() {
        let token = running(json!({"lastHandshakeError": {"code": "pairing_invalid", "message": "wrong", "at": "T"}}));
        let d = diagnose(&token);
        assert_eq!(d.class, "handshake_rejected");
        assert!(d.summary.contains("at T: wrong") && d.fix.unwrap().contains("Pair automatically"));
        let pinned =
            running(json!({"lastHandshakeError": {"code": "extension_not_allowed", "message": "m", "at": "T"}}));
        assert!(diagnose(&pinned).fix.unwrap().contains("allowedExtensionIds"));
        let skew = running(json!({"lastHandshakeError": {"code": "protocol_mismatch", "message": "m", "at": "T"}}));
        assert!(diagnose(&skew).fix.unwrap().contains("reload the extension"));
    }

    #[test]
    fn an_extension_that_left_is_expected_back_unless_it_was_refused() {
        let left = running(json!({"extensionLeftAt": "T", "extensionLastSeenAt": "S"}));
        let d = diagnose(&left);
        assert_eq!(d.class, "extension_disconnected");
        assert!(d.summary.contains("left at T"));
        let older = running(json!({"extensionLeftAt": "2026-01-01T00:00:09.000Z",
            "extensionLastSeenAt": "2026-01-01T00:00:05.000Z",
            "lastHandshakeError": {"code": "pairing_invalid", "message": "m", "at": "2026-01-01T00:00:01.000Z"}}));
        assert_eq!(diagnose(&older).class, "extension_disconnected", "a refusal before the last connection is history");
        let same = running(json!({"extensionLeftAt": "2026-01-01T00:00:09.000Z",
            "extensionLastSeenAt": "2026-01-01T00:00:05.000Z",
            "lastHandshakeError": {"code": "pairing_invalid", "message": "m", "at": "2026-01-01T00:00:05.000Z"}}));
        assert_eq!(diagnose(&same).class, "handshake_rejected", "the last connection was the refused one");
        let other = running(
            json!({"extensionLeftAt": "T", "lastHandshakeError": {"code": "something_else", "message": "m", "at": "T"}}),
        );
        assert_eq!(diagnose(&other).class, "extension_disconnected", "unknown codes do not change the verdict");
    }

    #[test]
    fn a_stopped_relay_and_a_pending_handshake_have_their_own_classes() {
        assert_eq!(diagnose(&running(json!({"running": false}))).class, "relay_stopped");
        assert_eq!(diagnose(&running(json!({"extensionConnected": true}))).class, "extension_handshaking");
        let retrying = running(json!({"extensionConnected": true,
            "lastHandshakeError": {"code": "pairing_invalid", "message": "wrong token", "at": "T"}}));
        let d = diagnose(&retrying);
        assert_eq!(d.class, "extension_handshaking", "a new attempt is under way");
        assert!(d.summary.ends_with("(the last attempt was refused at T: wrong token)"), "{}", d.summary);
    }
}
