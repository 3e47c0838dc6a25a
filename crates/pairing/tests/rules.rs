//! Every pairing rule, run twice: natively (`cargo test`) and in headless Chromium
//! (`cargo test --target wasm32-unknown-unknown`), so the wasm build is proven too.

use pairing::wire::{self, ConfigResponse, HandshakeAck, PairResponse};
use pairing::*;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Marks a function as a test on both targets.
macro_rules! rule {
    ($(#[$m:meta])* fn $name:ident() $body:block) => {
        $(#[$m])*
        #[cfg_attr(not(target_arch = "wasm32"), test)]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn $name() $body
    };
}

const A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const B: &str = "bbbbbbbb-0000-4000-8000-000000000002";

fn config(instance: &str, port: i64, pairing_required: bool) -> ConfigResponse {
    ConfigResponse {
        relay_port: port,
        pairing_required,
        instance_id: Some(instance.into()),
        epoch: Some(1),
        discovery_port: Some(8787),
        extension_connected: None,
    }
}

fn pair(instance: &str, token: Option<&str>) -> PairResponse {
    PairResponse { token: token.map(Into::into), instance_id: Some(instance.into()), epoch: Some(1) }
}

fn ack(instance: &str, port: i64) -> HandshakeAck {
    HandshakeAck {
        instance_id: instance.into(),
        relay_port: port,
        pairing_required: true,
        epoch: Some(1),
        protocol_version: Some(pairing::PROTOCOL_VERSION),
        hub_version: Some("test".into()),
    }
}

fn fixed_jitter() -> impl FnMut() -> f64 {
    || 0.5
}

rule! { fn pairing_is_refused_when_config_and_pair_instances_differ() {
    let err = pair_from_discovery(&config(A, 8787, true), Some(&pair(B, Some("tok")))).unwrap_err();
    assert_eq!(err.code(), "instance_mismatch");
    assert!(err.to_string().contains("instance mismatch"));
}}

rule! { fn pairing_succeeds_when_instances_match() {
    let paired = pair_from_discovery(&config(A, 9000, true), Some(&pair(A, Some("tok")))).unwrap();
    assert_eq!(paired.instance_id.as_str(), A);
    assert_eq!(paired.relay_port.get(), 9000);
    assert_eq!(paired.token.as_deref(), Some("tok"));
}}

rule! { fn pairing_requires_an_instance_id_from_both_endpoints() {
    let mut c = config(A, 8787, true);
    c.instance_id = None;
    assert_eq!(pair_from_discovery(&c, Some(&pair(A, Some("t")))).unwrap_err().code(), "invalid_instance_id");
    let mut p = pair(A, Some("t"));
    p.instance_id = None;
    assert_eq!(pair_from_discovery(&config(A, 8787, true), Some(&p)).unwrap_err().code(), "invalid_instance_id");
}}

rule! { fn pairing_requires_a_token_when_the_relay_requires_one() {
    assert_eq!(pair_from_discovery(&config(A, 8787, true), Some(&pair(A, None))).unwrap_err(), PairingRefusal::TokenMissing);
    assert_eq!(pair_from_discovery(&config(A, 8787, true), Some(&pair(A, Some("  ")))).unwrap_err(), PairingRefusal::TokenMissing);
    assert!(pair_from_discovery(&config(A, 8787, false), None).unwrap().token.is_none());
}}

rule! { fn ack_from_another_instance_is_refused() {
    let a = InstanceId::parse(A).unwrap();
    assert_eq!(check_ack(Some(&a), &ack(B, 8787)).unwrap_err().code(), "ack_instance_mismatch");
    assert_eq!(check_ack(Some(&a), &ack(A, 8787)).unwrap(), a);
    assert!(check_ack(None, &ack(B, 8787)).is_ok());
}}

rule! { fn protocol_versions_must_match_and_an_upstream_peer_without_one_is_accepted() {
    assert!(check_protocol(Some(1), Some(1)).is_ok());
    assert!(check_protocol(None, Some(1)).is_ok() && check_protocol(Some(1), None).is_ok());
    let refusal = check_protocol(Some(2), Some(1)).unwrap_err();
    assert_eq!(refusal.code(), "protocol_mismatch");
    assert!(refusal.to_string().contains("extension speaks v2, hub v1"), "{refusal}");
    let a = InstanceId::parse(A).unwrap();
    let mut newer = ack(A, 8787);
    newer.protocol_version = Some(PROTOCOL_VERSION + 1);
    assert_eq!(check_ack(Some(&a), &newer).unwrap_err().code(), "protocol_mismatch");
    newer.protocol_version = None;
    assert_eq!(check_ack(Some(&a), &newer).unwrap(), a, "an upstream relay announces no version");
}}

rule! { fn invalid_ports_are_rejected() {
    for bad in [0, -1, 65_536, i64::MAX] {
        assert_eq!(RelayPort::from_wire(bad).unwrap_err().code(), "invalid_port");
        assert!(decide_port_after_ack(Some(8787), &ack(A, bad)).is_err());
    }
    assert_eq!(pair_from_discovery(&config(A, 0, false), None).unwrap_err().code(), "invalid_port");
}}

rule! { fn ack_port_wins_over_stale_stored_port() {
    let store = |stored| decide_port_after_ack(stored, &ack(A, 9100)).unwrap();
    assert_eq!(store(Some(8787)), PortDecision::Store(RelayPort::from_wire(9100).unwrap()));
    assert_eq!(store(None), PortDecision::Store(RelayPort::from_wire(9100).unwrap()));
    assert_eq!(store(Some(9100)), PortDecision::Unchanged);
}}

rule! { fn storage_port_defaults_to_8787_when_absent_or_invalid() {
    assert_eq!(port_from_storage(None).get(), 8787);
    assert_eq!(port_from_storage(Some(70_000)).get(), 8787);
    assert_eq!(port_from_storage(Some(9001)).get(), 9001);
}}

rule! { fn reconnect_backoff_doubles_and_stays_within_bounds() {
    let b = Backoff::RECONNECT;
    assert_eq!(b.delay_ms(0, 0.5), 500);
    assert_eq!(b.delay_ms(1, 0.5), 1000);
    assert_eq!(b.delay_ms(2, 0.5), 2000);
    assert_eq!(b.delay_ms(30, 0.5), 5000);
    assert_eq!(b.delay_ms(1, 0.0), 800);
    assert_eq!(b.delay_ms(1, 0.999_999), 1200);
    assert_eq!(b.delay_ms(30, 0.999_999), 5000);
}}

rule! { fn reconnect_schedule_never_gives_up_and_resets() {
    let mut s = ReconnectSchedule::default();
    let mut j = fixed_jitter();
    let mut now = 0;
    for _ in 0..1000 {
        let at = s.next_retry_at(now, &mut j, false);
        assert!(at > now && at - now <= 5000);
        now = at;
    }
    s.reset();
    assert_eq!(s.next_retry_at(now, &mut j, false) - now, 500);
}}

rule! { fn a_relay_that_went_away_is_retried_at_once_then_quickly_then_with_backoff() {
    let mut s = ReconnectSchedule::default();
    let mut j = fixed_jitter();
    let delays: Vec<u64> = (0..QUICK_RETRIES + 2).map(|_| s.next_retry_at(1_000, &mut j, true) - 1_000).collect();
    assert_eq!(delays[0], 0, "the first retry is immediate");
    assert!(delays[1..QUICK_RETRIES as usize].iter().all(|d| *d == QUICK_RETRY_MS), "{delays:?}");
    assert_eq!(&delays[QUICK_RETRIES as usize..], &[500, 1000], "then the backoff, from its start");
    s.reset();
    assert_eq!(s.next_retry_at(0, &mut j, true), 0, "a successful pairing restores the quick phase");
    let mut refused = ReconnectSchedule::default();
    assert_eq!(refused.next_retry_at(0, &mut j, false), 500, "a refusal is not retried at once");
}}

rule! { fn readiness_wait_clamps_short_timeouts_with_a_warning() {
    let (w, warning) = ReadinessWait::start(1_000, 500);
    assert_eq!(w.deadline_ms(), 4_000);
    let warning = warning.expect("a clamped timeout must warn");
    assert_eq!((warning.requested_ms, warning.used_ms), (500, 3_000));
    assert!(ReadinessWait::start(0, 10_000).1.is_none());
}}

rule! { fn readiness_wait_backs_off_250_to_2000_and_stops_at_deadline() {
    let (mut w, _) = ReadinessWait::start(0, 10_000);
    let mut now = 0;
    let mut delays = Vec::new();
    while let Some(at) = w.next_poll_at(now) {
        delays.push(at - now);
        now = at;
    }
    assert_eq!(&delays[..5], &[250, 500, 1000, 2000, 2000]);
    assert_eq!(now, 10_000);
}}

fn has<F: Fn(&Action) -> bool>(actions: &[Action], f: F) -> bool {
    actions.iter().any(f)
}

/// A machine that has paired with instance A on 8787 and opened its socket (at t=3).
fn socket_open(j: &mut impl FnMut() -> f64) -> AutoPair {
    let mut m = AutoPair::new(Settings::default());
    m.handle(0, Event::Start, j);
    m.handle(1, Event::ConfigFetched(Ok(config(A, 8787, true))), j);
    m.handle(2, Event::PairFetched(Ok(pair(A, Some("tok")))), j);
    m.handle(3, Event::SocketOpened, j);
    m
}

rule! { fn auto_pair_fetches_config_then_pair_then_opens_the_socket() {
    let mut m = AutoPair::new(Settings::default());
    let mut j = fixed_jitter();
    let a = m.handle(0, Event::Start, &mut j);
    assert!(has(&a, |x| *x == Action::FetchConfig { url: "http://127.0.0.1:8787/config".into() }));
    let a = m.handle(10, Event::ConfigFetched(Ok(config(A, 9000, true))), &mut j);
    assert!(has(&a, |x| *x == Action::FetchPair { url: "http://127.0.0.1:9000/pair".into() }));
    let a = m.handle(20, Event::PairFetched(Ok(pair(A, Some("tok")))), &mut j);
    assert!(has(&a, |x| *x == Action::OpenSocket { url: "ws://127.0.0.1:9000/extension".into() }));
    let a = m.handle(30, Event::SocketOpened, &mut j);
    assert!(has(&a, |x| *x == Action::SendHandshake { pairing_token: Some("tok".into()) }));
    let a = m.handle(40, Event::AckReceived(ack(A, 9000)), &mut j);
    assert!(has(&a, |x| *x == Action::PersistPort(RelayPort::from_wire(9000).unwrap())));
    assert_eq!(m.status().state(), "connected");
    assert_eq!(m.status().describe(40), format!("connected to 127.0.0.1:9000 (relay {})", &A[..8]));
}}

rule! { fn auto_pair_refuses_mismatched_instances_and_retries() {
    let mut m = AutoPair::new(Settings::default());
    let mut j = fixed_jitter();
    m.handle(0, Event::Start, &mut j);
    m.handle(1, Event::ConfigFetched(Ok(config(A, 8787, true))), &mut j);
    let a = m.handle(2, Event::PairFetched(Ok(pair(B, Some("tok")))), &mut j);
    assert!(!has(&a, |x| matches!(x, Action::OpenSocket { .. })), "must not connect to a mismatched relay");
    assert!(has(&a, |x| matches!(x, Action::SetTimer { at_ms } if *at_ms == 502)));
    assert_eq!(m.status().describe(2), "pairing refused: instance mismatch, retrying in 1 s");
}}

rule! { fn auto_pair_refuses_an_ack_from_another_instance() {
    let mut j = fixed_jitter();
    let mut m = socket_open(&mut j);
    let a = m.handle(4, Event::AckReceived(ack(B, 8787)), &mut j);
    assert!(has(&a, |x| matches!(x, Action::CloseSocket { .. })));
    assert!(!has(&a, |x| matches!(x, Action::PersistPort(_))));
    assert_eq!(m.status().state(), "retrying");
}}

rule! { fn auto_pair_refuses_a_hub_speaking_another_protocol_and_says_so() {
    let mut j = fixed_jitter();
    let mut m = socket_open(&mut j);
    let mut newer = ack(A, 8787);
    newer.protocol_version = Some(PROTOCOL_VERSION + 1);
    let a = m.handle(4, Event::AckReceived(newer), &mut j);
    assert!(has(&a, |x| matches!(x, Action::CloseSocket { .. })));
    assert!(!has(&a, |x| matches!(x, Action::PersistPort(_))), "nothing is kept from a refused hub");
    assert_eq!(m.status().state(), "retrying");
    assert!(m.status().describe(4).starts_with("pairing refused: protocol mismatch"), "{}", m.status().describe(4));
}}

rule! { fn hub_down_reports_port_and_retry_delay() {
    let mut m = AutoPair::new(Settings::default());
    let mut j = fixed_jitter();
    m.handle(0, Event::Start, &mut j);
    m.handle(5, Event::ConfigFetched(Err(FetchFailure::Unreachable)), &mut j);
    assert_eq!(m.status().describe(5), "hub not running on port 8787, retrying now");
    assert_eq!(m.timer_at(), Some(5), "the first retry is at once");
    m.handle(5, Event::TimerFired, &mut j);
    m.handle(6, Event::ConfigFetched(Err(FetchFailure::Unreachable)), &mut j);
    assert_eq!(m.timer_at(), Some(56), "then every 50 ms for a while");
    let early = m.handle(30, Event::TimerFired, &mut j);
    assert!(early.is_empty(), "an early timer fire is ignored");
    let a = m.handle(56, Event::TimerFired, &mut j);
    assert!(has(&a, |x| matches!(x, Action::FetchConfig { .. })));
    for n in 0..QUICK_RETRIES - 2 {
        let now = 100 + u64::from(n) * 100;
        m.handle(now, Event::ConfigFetched(Err(FetchFailure::Unreachable)), &mut j);
        m.handle(m.timer_at().unwrap(), Event::TimerFired, &mut j);
    }
    m.handle(9_000, Event::ConfigFetched(Err(FetchFailure::Unreachable)), &mut j);
    assert_eq!(m.status().describe(9_000), "hub not running on port 8787, retrying in 1 s", "backing off at last");
}}

rule! { fn socket_close_after_connect_re_pairs_and_invalid_token_is_cleared() {
    let mut j = fixed_jitter();
    let mut m = socket_open(&mut j);
    m.handle(4, Event::AckReceived(ack(A, 8787)), &mut j);
    let a = m.handle(5, Event::SocketClosed { code: 1008, reason: "Invalid pairing token".into() }, &mut j);
    assert!(has(&a, |x| *x == Action::ClearToken));
    let at = m.timer_at().unwrap();
    let a = m.handle(at, Event::TimerFired, &mut j);
    assert!(has(&a, |x| matches!(x, Action::FetchConfig { .. })), "re-pairs from /config after a close");
}}

rule! { fn a_replaced_extension_stands_by_while_the_other_is_paired_then_reconnects() {
    let mut j = fixed_jitter();
    let mut m = socket_open(&mut j);
    m.handle(4, Event::AckReceived(ack(A, 8787)), &mut j);
    let replaced = Event::SocketClosed { code: 1000, reason: wire::REPLACED_CLOSE_REASON.into() };
    let a = m.handle(10, replaced, &mut j);
    assert_eq!(m.status().state(), "standby");
    assert!(m.status().headline().starts_with("another browser profile is using the hub on port 8787"));
    assert!(!has(&a, |x| matches!(x, Action::FetchConfig { .. } | Action::OpenSocket { .. })), "no grab-back");
    assert_eq!(m.timer_at(), Some(10 + autopair::STANDBY_CHECK_MS));

    let check = m.handle(10 + autopair::STANDBY_CHECK_MS, Event::TimerFired, &mut j);
    assert!(has(&check, |x| *x == Action::FetchConfig { url: "http://127.0.0.1:8787/config".into() }));
    let mut busy = config(A, 8787, true);
    busy.extension_connected = Some(true);
    let a = m.handle(5_100, Event::ConfigFetched(Ok(busy)), &mut j);
    assert!(!has(&a, |x| matches!(x, Action::FetchPair { .. } | Action::OpenSocket { .. })), "still standing by");
    assert_eq!(m.status().state(), "standby");

    let at = m.timer_at().unwrap();
    m.handle(at, Event::TimerFired, &mut j);
    let mut free = config(A, 8787, true);
    free.extension_connected = Some(false);
    let a = m.handle(at + 1, Event::ConfigFetched(Ok(free)), &mut j);
    assert!(has(&a, |x| matches!(x, Action::FetchConfig { .. })), "the other left: pair again from /config");
}}

rule! { fn reconnect_now_takes_the_relay_over_from_standby() {
    let mut j = fixed_jitter();
    let mut m = socket_open(&mut j);
    m.handle(4, Event::AckReceived(ack(A, 8787)), &mut j);
    m.handle(10, Event::SocketClosed { code: 1000, reason: wire::REPLACED_CLOSE_REASON.into() }, &mut j);
    let a = m.handle(20, Event::Start, &mut j);
    assert!(has(&a, |x| matches!(x, Action::FetchConfig { .. })), "the user's click connects at once");
    assert_eq!(m.status().state(), "pairing");
}}

rule! { fn connected_machine_sends_keepalives_under_the_worker_idle_limit() {
    let mut m = AutoPair::new(Settings { auto_pair: false, stored_port: Some(8787), ..Settings::default() });
    let mut j = fixed_jitter();
    m.handle(0, Event::Start, &mut j);
    m.handle(1, Event::SocketOpened, &mut j);
    m.handle(2, Event::AckReceived(ack(A, 8787)), &mut j);
    let at = m.timer_at().unwrap();
    assert!(at - 2 <= 20_000);
    assert_eq!(m.handle(at, Event::TimerFired, &mut j), vec![Action::SendKeepalive, Action::SetTimer { at_ms: at + 10_000 }]);
}}

rule! { fn turning_auto_connect_off_stops_everything() {
    let mut m = AutoPair::new(Settings::default());
    let mut j = fixed_jitter();
    m.handle(0, Event::Start, &mut j);
    m.handle(1, Event::ConfigFetched(Err(FetchFailure::Unreachable)), &mut j);
    let a = m.handle(2, Event::SettingsChanged(Settings { auto_connect: false, ..Settings::default() }), &mut j);
    assert!(has(&a, |x| *x == Action::CancelTimer));
    assert_eq!(m.timer_at(), None);
    assert!(m.handle(600, Event::TimerFired, &mut j).is_empty());
    assert_eq!(m.status().state(), "disabled");
}}

rule! { fn manual_mode_uses_stored_port_and_token() {
    let settings = Settings { auto_pair: false, stored_port: Some(9200), manual_token: Some("man".into()), ..Settings::default() };
    let mut m = AutoPair::new(settings);
    let mut j = fixed_jitter();
    let a = m.handle(0, Event::Start, &mut j);
    assert!(has(&a, |x| *x == Action::OpenSocket { url: "ws://127.0.0.1:9200/extension".into() }));
    let a = m.handle(1, Event::SocketOpened, &mut j);
    assert!(has(&a, |x| *x == Action::SendHandshake { pairing_token: Some("man".into()) }));
}}

rule! { fn discovery_falls_back_to_the_persisted_port() {
    let mut m = AutoPair::new(Settings { stored_port: Some(9300), ..Settings::default() });
    let mut j = fixed_jitter();
    m.handle(0, Event::Start, &mut j);
    m.handle(1, Event::ConfigFetched(Err(FetchFailure::Unreachable)), &mut j);
    let at = m.timer_at().unwrap();
    let a = m.handle(at, Event::TimerFired, &mut j);
    assert!(has(&a, |x| *x == Action::FetchConfig { url: "http://127.0.0.1:9300/config".into() }));
}}

rule! { fn wire_rejects_malformed_frames_with_codes() {
    assert_eq!(wire::parse_extension_frame("not json").unwrap_err().code(), "malformed_json");
    assert_eq!(wire::parse_relay_frame(r#"{"type":"handshakeAck","payload":{"instanceId":1}}"#).unwrap_err().code(), "invalid_field");
    let f = wire::parse_relay_frame(r#"{"type":"handshakeAck","payload":{"instanceId":"x","relayPort":8787,"pairingRequired":true,"extra":1}}"#).unwrap();
    assert!(matches!(f, wire::RelayFrame::HandshakeAck(a) if a.relay_port == 8787));
}}
