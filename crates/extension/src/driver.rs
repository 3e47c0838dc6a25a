//! The service worker's connection driver: runs the shared `pairing::AutoPair` machine
//! with real fetches, one WebSocket, a timer, a `chrome.alarms` watchdog (so retries
//! survive worker suspension), and storage for settings and status.
//!
//! All state lives in one thread-local [`Core`]; callbacks re-enter it briefly and never
//! hold it across an `await`. Each socket and fetch carries the generation it was started
//! in, and results from an older generation are dropped.

use crate::chrome;
use crate::core::{now_ms, send_frame, with_core, Core, Socket, CORE};
use crate::net::fetch_json;
use crate::router::Router;
use crate::settings::{status_record, PackagedDefaults, StoredSettings, SETTINGS_KEYS, STATUS_KEY};
use pairing::wire::{parse_relay_frame, ExtensionFrame, Handshake, RelayFrame};
use pairing::{Action, AutoPair, Event, Status};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// The alarm that wakes a suspended worker while auto-connect is on.
pub const WATCHDOG_ALARM: &str = "opendevbrowser-watchdog";

fn user_agent() -> String {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"userAgent".into()))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Loads settings and starts the machine (once per worker start).
pub async fn start() {
    let settings = load_settings().await;
    let fresh = CORE.with(|c| {
        let mut core = c.borrow_mut();
        if core.is_some() {
            return false;
        }
        *core = Some(Core {
            machine: AutoPair::new(settings),
            // Session names of this worker life start at its start time (ms, mod 1e9): a
            // later life never reuses a name an earlier one handed out.
            router: Router::numbering_from((now_ms() % 1_000_000_000) as u32),
            generation: 0,
            socket: None,
            timer: None,
            user_agent: user_agent(),
            agent_groups: Default::default(),
            paired_once: false,
        });
        true
    });
    if fresh {
        feed(Event::Start);
    }
}

/// Reads the settings keys from `storage.local`, and the discovery port from the
/// extension's own `defaults.json` (8787 when it is missing or says nothing valid).
pub async fn load_settings() -> pairing::Settings {
    let keys = chrome::to_js(&SETTINGS_KEYS);
    let stored = chrome::storage_local_get(&keys).await.ok().and_then(chrome::from_js::<StoredSettings>);
    let defaults_url = chrome::runtime_get_url(crate::settings::DEFAULTS_FILE);
    let defaults = crate::net::fetch_json::<PackagedDefaults>(&defaults_url).await.unwrap_or_default();
    stored.unwrap_or_default().into_settings(&defaults)
}

/// Feeds one event to the machine and carries out its actions.
pub fn feed(event: Event) {
    let mut jitter = || js_sys::Math::random();
    let actions = with_core(|core| core.machine.handle(now_ms(), event, &mut jitter)).unwrap_or_default();
    for action in actions {
        execute(action);
    }
}

fn current_generation() -> u64 {
    with_core(|c| c.generation).unwrap_or(0)
}

fn next_generation() -> u64 {
    with_core(|c| {
        c.generation += 1;
        c.generation
    })
    .unwrap_or(0)
}

/// Feeds `event` only if nothing newer was started since `generation`.
fn feed_if_current(generation: u64, event: Event) {
    if current_generation() == generation {
        feed(event);
    }
}

fn execute(action: Action) {
    match action {
        Action::FetchConfig { url } => {
            let generation = next_generation();
            spawn_local(async move { feed_if_current(generation, Event::ConfigFetched(fetch_json(&url).await)) });
        }
        Action::FetchPair { url } => {
            let generation = next_generation();
            spawn_local(async move { feed_if_current(generation, Event::PairFetched(fetch_json(&url).await)) });
        }
        Action::OpenSocket { url } => open_socket(&url),
        Action::SendHandshake { pairing_token } => {
            let generation = current_generation();
            spawn_local(async move { send_handshake(generation, pairing_token).await });
        }
        Action::SendKeepalive => send_frame(&ExtensionFrame::Ping { id: format!("k{}", now_ms()) }),
        Action::CloseSocket { code, reason } => close_socket(code, &reason),
        Action::PersistPort(port) => persist(json!({"relayPort": port.get()})),
        Action::PersistPairing { instance_id, epoch, token } => persist(json!({
            "relayInstanceId": instance_id.as_str(), "relayEpoch": epoch, "pairingToken": token, "tokenEpoch": epoch,
        })),
        Action::ClearToken => persist(json!({"pairingToken": null, "tokenEpoch": null})),
        Action::SetTimer { at_ms } => set_timer(at_ms),
        Action::CancelTimer => {
            with_core(|c| c.timer = None);
        }
        Action::Report(status) => report(&status),
    }
}

fn persist(items: Value) {
    spawn_local(async move {
        if let Err(e) = chrome::storage_local_set(&chrome::to_js(&items)).await {
            web_sys::console::warn_1(&format!("storage write failed: {}", chrome::error_message(&e)).into());
        }
    });
}

fn set_timer(at_ms: u64) {
    let delay = at_ms.saturating_sub(now_ms()).min(u64::from(u32::MAX)) as u32;
    let timer = gloo_timers::callback::Timeout::new(delay, || feed(Event::TimerFired));
    with_core(|c| c.timer = Some(timer));
}

fn report(status: &Status) {
    let record = json!({ STATUS_KEY: status_record(status, now_ms()) });
    let on = status.state() == "connected";
    let disabled = status.state() == "disabled";
    spawn_local(async move {
        let _ = chrome::storage_session_set(&chrome::to_js(&record)).await;
        let text = if on { "ON" } else { "OFF" };
        let color = if on { "#20d5c6" } else { "#5b667a" };
        let _ = chrome::action_set_badge_text(&chrome::to_js(&json!({"text": text}))).await;
        let _ = chrome::action_set_badge_color(&chrome::to_js(&json!({"color": color}))).await;
        if disabled {
            let _ = chrome::alarms_clear(WATCHDOG_ALARM).await;
        } else {
            let info = chrome::to_js(&json!({"periodInMinutes": 0.5}));
            let _ = chrome::alarms_create(WATCHDOG_ALARM, &info).await;
        }
    });
    if on {
        record_first_pairing();
    } else {
        crate::cdp::detach_all();
    }
}

/// Writes `workerTiming: {startedAt, pairedAt}` (ms since the epoch) to `storage.session`
/// the first time this worker pairs: how long a worker start takes to reach the hub,
/// apart from the browser's own start (`startedAt` is the worker's `performance.timeOrigin`).
fn record_first_pairing() {
    if with_core(|c| std::mem::replace(&mut c.paired_once, true)) != Some(false) {
        return;
    }
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok();
    let origin = performance.and_then(|p| js_sys::Reflect::get(&p, &"timeOrigin".into()).ok()?.as_f64());
    let record = json!({"workerTiming": {"startedAt": origin, "pairedAt": js_sys::Date::now()}});
    spawn_local(async move {
        let _ = chrome::storage_session_set(&chrome::to_js(&record)).await;
    });
}

fn close_socket(code: u16, reason: &str) {
    if let Some(socket) = with_core(|c| c.socket.take()).flatten() {
        socket.close(code, reason);
    }
}

fn open_socket(url: &str) {
    close_socket(1000, "reconnecting");
    let generation = next_generation();
    let ws = match WebSocket::new(url) {
        Ok(ws) => ws,
        Err(e) => {
            let reason = chrome::error_message(&e);
            chrome::defer(move || feed_if_current(generation, Event::SocketClosed { code: 1006, reason }));
            return;
        }
    };
    let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| feed_if_current(generation, Event::SocketOpened));
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        if let Some(text) = e.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) {
            on_relay_text(generation, &text);
        }
    });
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let (code, reason) = e.dyn_ref::<CloseEvent>().map_or((1006, String::new()), |c| (c.code(), c.reason()));
        if current_generation() == generation {
            with_core(|c| c.socket = None);
        }
        feed_if_current(generation, Event::SocketClosed { code, reason });
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    with_core(|c| c.socket = Some(Socket { ws, _handlers: vec![on_open, on_message, on_close] }));
}

fn on_relay_text(generation: u64, text: &str) {
    match parse_relay_frame(text) {
        Ok(RelayFrame::HandshakeAck(ack)) => feed_if_current(generation, Event::AckReceived(ack)),
        Ok(RelayFrame::ForwardCdpCommand(cmd)) => {
            spawn_local(async move { crate::cdp::handle_command(generation, cmd).await });
        }
        Ok(RelayFrame::Pong { .. } | RelayFrame::HealthCheckResult { .. }) => {}
        Err(_) => on_control_frame(text),
    }
}

fn on_control_frame(text: &str) {
    let Ok(value) = serde_json::from_str::<Value>(text) else { return };
    match (value["type"].as_str(), value["action"].as_str()) {
        (Some("cdp_control"), Some("client_closed")) => {
            with_core(|c| c.router.client_closed());
            crate::cdp::detach_all();
        }
        (Some("cdp_control"), Some("detach_all")) => crate::cdp::detach_all(),
        (Some("error"), _) => {
            web_sys::console::warn_1(&format!("relay reported: {}", value["payload"]).into());
        }
        _ => {}
    }
}

async fn send_handshake(generation: u64, pairing_token: Option<String>) {
    let tab = crate::cdp::ensure_primary_tab().await.ok();
    if current_generation() != generation {
        return;
    }
    let (tab_id, url, title) = match tab {
        Some(t) => (t.id, Some(t.url), Some(t.title)),
        None => (-1, None, None),
    };
    send_frame(&ExtensionFrame::Handshake(Handshake {
        tab_id,
        url,
        title,
        group_id: None,
        pairing_token,
        protocol_version: Some(pairing::PROTOCOL_VERSION),
        extension_version: chrome::manifest_version(),
    }));
}

/// Storage changed: settings in `local`, a reconnect request in `session`.
pub fn on_storage_changed(changes: JsValue, area: String) {
    let keys: Vec<String> =
        js_sys::Object::keys(changes.unchecked_ref::<js_sys::Object>()).iter().filter_map(|k| k.as_string()).collect();
    if area == "local" && keys.iter().any(|k| SETTINGS_KEYS.contains(&k.as_str())) {
        spawn_local(async {
            let settings = load_settings().await;
            feed(Event::SettingsChanged(settings));
        });
    }
    if area == "session" && keys.iter().any(|k| k == crate::settings::RECONNECT_KEY) {
        feed(Event::Start);
    }
}
