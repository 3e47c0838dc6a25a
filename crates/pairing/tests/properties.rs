//! Property tests: backoff bounds hold for any attempt and jitter, and the auto-pair
//! machine never emits an invalid action whatever events arrive in whatever order.
#![cfg(not(target_arch = "wasm32"))]

use pairing::wire::{ConfigResponse, HandshakeAck, PairResponse};
use pairing::*;
use proptest::prelude::*;

proptest! {
    #[test]
    fn backoff_delay_is_always_within_bounds(
        initial in 1u64..10_000, extra in 0u64..100_000, pct in 0u8..=100,
        attempt in 0u32..200, unit in proptest::num::f64::ANY,
    ) {
        let b = Backoff { initial_ms: initial, max_ms: initial + extra, jitter_pct: pct };
        let d = b.delay_ms(attempt, unit);
        prop_assert!(d >= initial && d <= initial + extra);
    }

    #[test]
    fn unjittered_backoff_is_monotonic(initial in 1u64..5_000, extra in 0u64..50_000, attempt in 0u32..100) {
        let b = Backoff { initial_ms: initial, max_ms: initial + extra, jitter_pct: 0 };
        prop_assert!(b.delay_ms(attempt, 0.5) <= b.delay_ms(attempt + 1, 0.5));
    }

    #[test]
    fn readiness_wait_never_polls_past_its_deadline(start in 0u64..1_000_000, timeout in 0u64..120_000) {
        let (mut w, warning) = ReadinessWait::start(start, timeout);
        prop_assert_eq!(warning.is_some(), timeout < 3_000);
        let mut now = start;
        let mut polls = 0;
        while let Some(at) = w.next_poll_at(now) {
            prop_assert!(at > now && at <= w.deadline_ms() && at - now <= 2_000);
            now = at;
            polls += 1;
        }
        prop_assert_eq!(now, start + timeout.max(3_000));
        prop_assert!(polls >= 1);
    }
}

const IDS: [&str; 3] = ["aaaaaaaa-1", "bbbbbbbb-2", "bad id"];

fn arb_id() -> impl Strategy<Value = Option<String>> {
    prop_oneof![Just(None), (0usize..3).prop_map(|i| Some(IDS[i].to_owned()))]
}

fn arb_port() -> impl Strategy<Value = i64> {
    prop_oneof![Just(8787i64), Just(9000), Just(0), Just(70_000), Just(-5)]
}

fn arb_settings() -> impl Strategy<Value = Settings> {
    (any::<bool>(), any::<bool>(), any::<bool>(), proptest::option::of(arb_port()), proptest::option::of("[a-z ]{0,4}"))
        .prop_map(|(auto_connect, auto_pair, pairing_enabled, stored_port, manual_token)| Settings {
            auto_connect,
            auto_pair,
            pairing_enabled,
            stored_port,
            manual_token,
            discovery_port: RelayPort::DEFAULT,
        })
}

fn arb_failure() -> impl Strategy<Value = FetchFailure> {
    prop_oneof![
        Just(FetchFailure::Unreachable),
        Just(FetchFailure::Status(500)),
        Just(FetchFailure::Malformed("x".into()))
    ]
}

fn arb_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Start),
        arb_settings().prop_map(Event::SettingsChanged),
        prop_oneof![
            (arb_id(), arb_port(), any::<bool>(), proptest::option::of(any::<bool>())).prop_map(
                |(instance_id, relay_port, pairing_required, extension_connected)| Ok(ConfigResponse {
                    relay_port,
                    pairing_required,
                    instance_id,
                    epoch: Some(1),
                    discovery_port: None,
                    extension_connected,
                })
            ),
            arb_failure().prop_map(Err),
        ]
        .prop_map(Event::ConfigFetched),
        prop_oneof![
            (arb_id(), proptest::option::of("[a-z]{0,3}")).prop_map(|(instance_id, token)| Ok(PairResponse {
                token,
                instance_id,
                epoch: None
            })),
            arb_failure().prop_map(Err),
        ]
        .prop_map(Event::PairFetched),
        Just(Event::SocketOpened),
        (
            prop_oneof![Just(1000u16), Just(1006), Just(1008)],
            prop_oneof!["[a-zA-Z ]{0,8}", Just(pairing::wire::REPLACED_CLOSE_REASON.to_owned())]
        )
            .prop_map(|(code, reason)| Event::SocketClosed { code, reason }),
        ((0usize..3), arb_port(), prop_oneof![Just(None), Just(Some(pairing::PROTOCOL_VERSION)), Just(Some(99))])
            .prop_map(|(i, relay_port, protocol_version)| Event::AckReceived(HandshakeAck {
                instance_id: IDS[i].to_owned(),
                relay_port,
                pairing_required: true,
                epoch: None,
                protocol_version,
                hub_version: None,
            })),
        Just(Event::TimerFired),
    ]
}

fn valid_url(url: &str, scheme: &str, path: &str) -> bool {
    let Some(rest) = url.strip_prefix(&format!("{scheme}://127.0.0.1:")) else {
        return false;
    };
    let Some(port) = rest.strip_suffix(path) else {
        return false;
    };
    port.parse::<u16>().is_ok_and(|p| p != 0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn auto_pair_never_emits_an_invalid_action(
        initial in arb_settings(),
        steps in proptest::collection::vec((0u64..20_000, arb_event(), 0.0f64..1.0), 1..60),
    ) {
        let mut m = AutoPair::new(initial);
        let mut now = 0u64;
        let mut socket_open = false;
        let mut handshake_allowed = false;
        for (dt, event, unit) in steps {
            now += dt;
            // Fire timers on time, as a driver would, half of the time.
            let event = match (event, m.timer_at()) {
                (Event::TimerFired, Some(at)) if unit < 0.5 => { now = now.max(at); Event::TimerFired }
                (e, _) => e,
            };
            let opened = matches!(event, Event::SocketOpened);
            let closed_by_peer = matches!(event, Event::SocketClosed { .. });
            let mut jitter = move || unit;
            let actions = m.handle(now, event, &mut jitter);
            if closed_by_peer { socket_open = false; }
            if opened && socket_open { handshake_allowed = true; }
            for action in &actions {
                match action {
                    Action::FetchConfig { url } => {
                        prop_assert!(m.settings().auto_connect);
                        prop_assert!(valid_url(url, "http", "/config"), "{}", url);
                    }
                    Action::FetchPair { url } => {
                        prop_assert!(m.settings().auto_connect);
                        prop_assert!(valid_url(url, "http", "/pair"), "{}", url);
                    }
                    Action::OpenSocket { url } => {
                        prop_assert!(m.settings().auto_connect);
                        prop_assert!(!socket_open, "a second socket was opened without closing the first");
                        prop_assert!(valid_url(url, "ws", "/extension"), "{}", url);
                        socket_open = true;
                        handshake_allowed = false;
                    }
                    Action::SendHandshake { pairing_token } => {
                        prop_assert!(handshake_allowed, "handshake sent before the socket opened");
                        prop_assert!(pairing_token.as_ref().is_none_or(|t| !t.trim().is_empty()));
                    }
                    Action::CloseSocket { .. } => { socket_open = false; handshake_allowed = false; }
                    Action::SetTimer { at_ms } => {
                        prop_assert!(*at_ms >= now && *at_ms - now <= 10_000, "timer {} at now {}", at_ms, now);
                    }
                    Action::PersistPort(p) => prop_assert!(p.get() != 0),
                    Action::Report(Status::Connected { .. }) => prop_assert!(socket_open),
                    _ => {}
                }
            }
            // Liveness: while auto-connect is on, something is always pending.
            if m.settings().auto_connect && m.status().state() != "disabled" {
                prop_assert!(m.timer_at().is_some(), "machine stalled with auto-connect on: {:?}", m.status());
            }
            if !m.settings().auto_connect {
                prop_assert!(!m.socket_active());
            }
        }
    }
}
