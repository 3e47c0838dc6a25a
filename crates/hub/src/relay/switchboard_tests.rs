//! The switchboard without sockets: frames in, actions out.

use super::*;
use crate::relay::frames::{Action, ConnId, Outgoing};

type Board = Switchboard<&'static str>;

fn board(token: Option<&str>) -> Board {
    Switchboard::new(Identity { instance_id: "relay-1".into(), port: 8787, epoch: 7, token: token.map(str::to_owned) })
}

fn handshake(token: &str) -> String {
    json!({"type": "handshake", "payload": {"tabId": 1, "pairingToken": token, "protocolVersion": pairing::PROTOCOL_VERSION}})
        .to_string()
}

/// The text frames sent to `conn`, parsed.
fn sent(actions: &[Action<&'static str>], to: ConnId) -> Vec<Value> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(c, Outgoing::Text(t)) if *c == to => serde_json::from_str(t).ok(),
            _ => None,
        })
        .collect()
}

fn closed(actions: &[Action<&'static str>], to: ConnId) -> Option<(u16, String)> {
    actions.iter().find_map(|a| match a {
        Action::Send(c, Outgoing::Close(code, reason)) if *c == to => Some((*code, reason.clone())),
        _ => None,
    })
}

fn replies(actions: Vec<Action<&'static str>>) -> Vec<(&'static str, Result<Value, CdpError>)> {
    actions
        .into_iter()
        .filter_map(|a| match a {
            Action::Reply(w, r) => Some((w, r)),
            _ => None,
        })
        .collect()
}

/// A board with a handshaken extension; returns its connection.
fn connected(b: &mut Board) -> ConnId {
    let (ext, _) = b.extension_opened(0);
    let (actions, open) = b.extension_text(ext, &handshake("t"), 0);
    assert!(open);
    assert_eq!(sent(&actions, ext)[0]["type"], "handshakeAck");
    ext
}

fn forwarded_id(actions: &[Action<&'static str>], ext: ConnId) -> i64 {
    let frame = &sent(actions, ext)[0];
    assert_eq!(frame["method"], "forwardCDPCommand");
    frame["id"].as_i64().unwrap()
}

#[test]
fn a_valid_handshake_is_acked_with_the_relay_identity() {
    let mut b = board(Some("t"));
    let (ext, _) = b.extension_opened(0);
    assert!(b.awaiting_handshake(ext));
    let (actions, open) = b.extension_text(ext, &handshake("t"), 0);
    assert!(open && !b.awaiting_handshake(ext));
    let ack = &sent(&actions, ext)[0]["payload"];
    assert_eq!(
        (ack["instanceId"].as_str(), ack["relayPort"].as_i64(), ack["epoch"].as_i64()),
        (Some("relay-1"), Some(8787), Some(7))
    );
}

#[test]
fn a_wrong_or_missing_token_closes_with_1008_and_is_recorded() {
    for (token, code) in [("nope", "pairing_invalid"), ("", "pairing_missing")] {
        let mut b = board(Some("t"));
        let (ext, _) = b.extension_opened(0);
        let (actions, open) = b.extension_text(ext, &handshake(token), 5);
        assert!(!open);
        assert_eq!(closed(&actions, ext), Some((1008, "Invalid pairing token".into())));
        assert_eq!(b.last_refusal.as_ref().map(|r| (r.code.as_str(), r.at_ms)), Some((code, 5)));
        assert!(b.handshake().is_none());
    }
}

#[test]
fn cdp_traffic_before_the_handshake_gets_an_error_frame() {
    let mut b = board(None);
    let (ext, _) = b.extension_opened(0);
    let (actions, open) = b.extension_text(ext, r#"{"id": 1, "result": {}}"#, 0);
    assert!(open);
    assert_eq!(sent(&actions, ext)[0]["payload"]["code"], "handshake_required");
}

#[test]
fn hub_calls_need_a_handshaken_extension() {
    let mut b = board(None);
    assert!(matches!(b.hub_call("A.b", None, None, "h"), Err(("h", CdpError::NotConnected))));
    let (_ext, _) = b.extension_opened(0);
    assert!(matches!(b.hub_call("A.b", None, None, "h"), Err(("h", CdpError::HandshakeIncomplete))));
}

#[test]
fn answers_go_back_to_the_hub_caller_or_the_cdp_client_under_its_own_id() {
    let mut b = board(None);
    let ext = connected(&mut b);
    let client = b.client_opened().unwrap();
    let (hub_id, actions) = b.hub_call("Runtime.evaluate", None, None, "hub").unwrap();
    assert_eq!(forwarded_id(&actions, ext), hub_id);
    let actions = b.client_text(client, r#"{"id": "c-1", "method": "Page.enable", "sessionId": "s"}"#);
    let client_hub_id = forwarded_id(&actions, ext);
    assert_ne!(client_hub_id, hub_id, "one id space for both");

    let (actions, _) =
        b.extension_text(ext, &json!({"id": client_hub_id, "result": {"x": 1}, "sessionId": "s"}).to_string(), 0);
    assert_eq!(sent(&actions, client), [json!({"id": "c-1", "result": {"x": 1}, "sessionId": "s"})]);
    let error = json!({"id": hub_id, "error": {"code": -32000, "message": "nope"}}).to_string();
    let (actions, _) = b.extension_text(ext, &error, 0);
    let got = replies(actions);
    assert!(matches!(&got[..], [("hub", Err(CdpError::Protocol { message, .. }))] if message == "nope"), "{got:?}");
    assert_eq!(b.pending(), 0);
}

#[test]
fn a_late_answer_after_the_caller_gave_up_is_dropped() {
    let mut b = board(None);
    let ext = connected(&mut b);
    let (id, _) = b.hub_call("Slow.call", None, None, "hub").unwrap();
    b.hub_gave_up(id);
    let (actions, _) = b.extension_text(ext, &json!({"id": id, "result": {}}).to_string(), 0);
    assert!(actions.is_empty(), "{actions:?}");
}

#[test]
fn a_new_extension_replaces_the_old_one_and_fails_what_it_had_in_flight() {
    let mut b = board(None);
    let old = connected(&mut b);
    let client = b.client_opened().unwrap();
    b.hub_call("A.b", None, None, "hub").unwrap();
    b.client_text(client, r#"{"id": 9, "method": "C.d"}"#);
    let (new, actions) = b.extension_opened(10);
    assert_ne!(new, old);
    assert_eq!(closed(&actions, old), Some((1000, pairing::wire::REPLACED_CLOSE_REASON.into())));
    assert_eq!(sent(&actions, client)[0]["id"], 9);
    assert!(matches!(&replies(actions)[..], [("hub", Err(CdpError::Replaced { .. }))]));
    assert!(b.awaiting_handshake(new));
    assert!(b.extension_closed(old, 11).is_empty(), "the replaced socket ending changes nothing");
}

#[test]
fn when_the_extension_leaves_its_calls_fail_and_the_cdp_client_is_closed() {
    let mut b = board(None);
    let ext = connected(&mut b);
    let client = b.client_opened().unwrap();
    b.hub_call("A.b", None, None, "hub").unwrap();
    let actions = b.extension_closed(ext, 42);
    assert_eq!(closed(&actions, client), Some((1011, "Extension disconnected".into())));
    assert!(matches!(&replies(actions)[..], [("hub", Err(CdpError::Disconnected { .. }))]));
    assert_eq!((b.extension_connected(), b.client_connected(), b.extension_left_ms), (false, false, Some(42)));
}

#[test]
fn one_cdp_client_at_a_time_and_the_extension_hears_when_it_leaves() {
    let mut b = board(None);
    let ext = connected(&mut b);
    let first = b.client_opened().unwrap();
    assert_eq!(b.client_opened(), Err(Outgoing::Close(1008, "Only one CDP client supported".into())));
    let actions = b.client_closed(first);
    assert_eq!(sent(&actions, ext), [json!({"type": "cdp_control", "action": "client_closed"})]);
    assert!(b.client_opened().is_ok(), "the next client gets in");
}

#[test]
fn cdp_client_errors_keep_its_id_and_say_what_is_wrong() {
    let mut b = board(None);
    let client = b.client_opened().unwrap();
    let actions = b.client_text(client, r#"{"id": 3, "method": "A.b", "sessionId": "s"}"#);
    assert_eq!(
        sent(&actions, client),
        [json!({"id": 3, "sessionId": "s", "error": {"code": -32000, "message": "Extension not connected to relay"}})]
    );
    let actions = b.client_text(client, "{not json");
    assert_eq!(sent(&actions, client)[0]["error"]["code"], -32700);
}

#[test]
fn ping_is_answered_with_health_and_stop_closes_everything() {
    let mut b = board(None);
    let ext = connected(&mut b);
    let (actions, _) = b.extension_text(ext, r#"{"type": "ping", "id": "p1"}"#, 0);
    let pong = &sent(&actions, ext)[0];
    assert_eq!(
        (pong["type"].as_str(), pong["id"].as_str(), pong["payload"]["ok"].as_bool()),
        (Some("pong"), Some("p1"), Some(true))
    );
    let client = b.client_opened().unwrap();
    let actions = b.stop();
    assert_eq!(closed(&actions, ext), Some((1000, "Relay stopped".into())));
    assert_eq!(closed(&actions, client), Some((1000, "Relay stopped".into())));
    assert!(matches!(b.hub_call("A.b", None, None, "h"), Err((_, CdpError::ShuttingDown))));
}

#[test]
fn every_accepted_handshake_is_a_new_pairing_and_refusals_are_not() {
    let mut b = board(Some("t"));
    assert_eq!(b.pairings(), 0);
    connected(&mut b);
    assert_eq!(b.pairings(), 1);
    let (ext, _) = b.extension_opened(1);
    let (_, open) = b.extension_text(ext, &handshake("wrong"), 1);
    assert!(!open);
    assert_eq!(b.pairings(), 1, "a refused handshake pairs nothing");
    b.extension_closed(ext, 2);
    connected(&mut b);
    assert_eq!(b.pairings(), 2, "the extension came back (a worker restart): its sessions are new");
}
