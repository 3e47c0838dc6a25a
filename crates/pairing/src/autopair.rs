//! The auto-pair state machine: events in, actions out, time passed in.
//!
//! The extension's service worker drives it with real fetches, sockets and timers; the
//! hub's simulated extension drives it in tests. Neither re-implements the rules: fetch
//! `/config`, then `/pair`, refuse mismatched instances, open `/extension`, send the
//! handshake, check the ack, persist its port, keep the socket alive, and retry with
//! backoff for as long as auto-connect is on.
//!
//! Drivers must drop the handlers of a socket once they are told to close it or open a
//! new one, so events always refer to the current socket.

use crate::backoff::{Backoff, JitterSource, ReconnectSchedule};
use crate::identity::{check_ack, pair_from_discovery, InstanceId, PairedRelay};
use crate::port::{decide_port_after_ack, port_from_storage, PortDecision, RelayPort};
use crate::status::{RetryReason, Status};
use crate::wire::{ConfigResponse, HandshakeAck, PairResponse};

pub use crate::autopair_io::{Action, Event, FetchFailure, Settings};

/// How long one step (a fetch, a socket open, a handshake) may take.
pub const STEP_TIMEOUT_MS: u64 = 5_000;
/// How often a connected extension sends a keepalive; under Chrome's 30 s worker idle limit.
pub const KEEPALIVE_INTERVAL_MS: u64 = 10_000;
/// How often a replaced extension checks whether the one that replaced it has left.
pub const STANDBY_CHECK_MS: u64 = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Idle,
    FetchingConfig {
        port: RelayPort,
    },
    FetchingPair {
        config: ConfigResponse,
    },
    Opening {
        port: RelayPort,
        paired: Option<InstanceId>,
        token: Option<String>,
    },
    AwaitingAck {
        port: RelayPort,
        paired: Option<InstanceId>,
    },
    Connected {
        port: RelayPort,
        instance: InstanceId,
    },
    Waiting {
        port: RelayPort,
    },
    /// Replaced by another extension: wait, then ask `/config` whether it is still there.
    StandingBy {
        port: RelayPort,
    },
    CheckingOther {
        port: RelayPort,
    },
}

/// The auto-pair machine. Pure: no I/O, no clock, no randomness of its own.
#[derive(Debug, Clone)]
pub struct AutoPair {
    settings: Settings,
    phase: Phase,
    schedule: ReconnectSchedule,
    timer_at: Option<u64>,
    config_attempts: u32,
    status: Status,
}

impl AutoPair {
    /// A machine in the idle state; feed it [`Event::Start`] to begin.
    pub fn new(settings: Settings) -> Self {
        AutoPair {
            settings,
            phase: Phase::Idle,
            schedule: ReconnectSchedule::new(Backoff::RECONNECT),
            timer_at: None,
            config_attempts: 0,
            status: Status::Disabled,
        }
    }

    /// The last reported status.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The current settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// When the pending timer is due, if one is set.
    pub fn timer_at(&self) -> Option<u64> {
        self.timer_at
    }

    /// True while a relay socket is open or opening.
    pub fn socket_active(&self) -> bool {
        matches!(self.phase, Phase::Opening { .. } | Phase::AwaitingAck { .. } | Phase::Connected { .. })
    }

    /// Feeds one event at time `now_ms` and returns what the driver must do, in order.
    pub fn handle(&mut self, now_ms: u64, event: Event, jitter: &mut dyn JitterSource) -> Vec<Action> {
        let mut step = Step { machine: self, now_ms, jitter, actions: Vec::new() };
        step.handle(event);
        step.actions
    }
}

/// One call of `handle`: the machine plus the actions being collected.
struct Step<'a> {
    machine: &'a mut AutoPair,
    now_ms: u64,
    jitter: &'a mut dyn JitterSource,
    actions: Vec<Action>,
}

impl Step<'_> {
    fn handle(&mut self, event: Event) {
        let phase = self.machine.phase.clone();
        match (event, phase) {
            (Event::Start, Phase::Idle) => self.begin_if_enabled(),
            (Event::Start, Phase::Waiting { .. } | Phase::StandingBy { .. } | Phase::CheckingOther { .. }) => {
                self.machine.schedule.reset();
                self.begin_attempt()
            }
            (Event::Start, _) => {}
            (Event::SettingsChanged(s), _) => self.settings_changed(s),
            (Event::ConfigFetched(r), Phase::FetchingConfig { port }) => self.config_fetched(port, r),
            (Event::ConfigFetched(r), Phase::CheckingOther { port }) => self.other_checked(port, r),
            (Event::PairFetched(r), Phase::FetchingPair { config }) => self.pair_fetched(config, r),
            (Event::SocketOpened, Phase::Opening { port, paired, token }) => {
                self.push(Action::SendHandshake { pairing_token: token });
                self.machine.phase = Phase::AwaitingAck { port, paired };
                self.set_timer(STEP_TIMEOUT_MS);
            }
            (Event::AckReceived(ack), Phase::AwaitingAck { paired, .. }) => self.ack_received(paired, ack),
            (Event::AckReceived(ack), Phase::Connected { instance, .. }) => self.ack_received(Some(instance), ack),
            (Event::SocketClosed { code, reason }, phase) => self.socket_closed(phase, code, reason),
            (Event::TimerFired, phase) => self.timer_fired(phase),
            _ => {}
        }
    }

    fn push(&mut self, action: Action) {
        self.actions.push(action);
    }

    fn report(&mut self, status: Status) {
        self.machine.status = status.clone();
        self.push(Action::Report(status));
    }

    fn set_timer(&mut self, delay_ms: u64) {
        let at_ms = self.now_ms.saturating_add(delay_ms);
        self.machine.timer_at = Some(at_ms);
        self.push(Action::SetTimer { at_ms });
    }

    fn begin_if_enabled(&mut self) {
        if self.machine.settings.auto_connect {
            self.begin_attempt();
        } else {
            self.report(Status::Disabled);
        }
    }

    /// Starts a fresh attempt: discovery when auto-pair is on, else straight to the socket.
    fn begin_attempt(&mut self) {
        let settings = &self.machine.settings;
        if settings.auto_pair {
            let port = self.config_port();
            self.machine.config_attempts = self.machine.config_attempts.wrapping_add(1);
            self.machine.phase = Phase::FetchingConfig { port };
            self.push(Action::FetchConfig { url: port.http_url("config") });
            self.report(Status::Pairing { port });
            self.set_timer(STEP_TIMEOUT_MS);
        } else {
            let port = port_from_storage(settings.stored_port);
            let token = settings.manual_token.clone().filter(|t| settings.pairing_enabled && !t.trim().is_empty());
            self.open_socket(port, None, token);
        }
    }

    /// Discovery alternates between the discovery port and a different persisted port,
    /// so a hub whose discovery port is taken by another program is still found.
    fn config_port(&self) -> RelayPort {
        let settings = &self.machine.settings;
        match settings.stored_port.and_then(|p| RelayPort::from_wire(p).ok()) {
            Some(stored) if stored != settings.discovery_port && self.machine.config_attempts % 2 == 1 => stored,
            _ => settings.discovery_port,
        }
    }

    fn config_fetched(&mut self, port: RelayPort, result: Result<ConfigResponse, FetchFailure>) {
        let config = match result {
            Ok(config) => config,
            Err(failure) => return self.fetch_failed(port, failure),
        };
        if let Err(refusal) = InstanceId::parse(config.instance_id.as_deref().unwrap_or(""))
            .and_then(|_| RelayPort::from_wire(config.relay_port))
        {
            return self.retry(port, RetryReason::Refused(refusal));
        }
        if config.pairing_required {
            let relay = port_from_storage(Some(config.relay_port));
            self.push(Action::FetchPair { url: relay.http_url("pair") });
            self.machine.phase = Phase::FetchingPair { config };
            self.set_timer(STEP_TIMEOUT_MS);
        } else {
            self.paired(pair_from_discovery(&config, None), port);
        }
    }

    fn pair_fetched(&mut self, config: ConfigResponse, result: Result<PairResponse, FetchFailure>) {
        let port = port_from_storage(Some(config.relay_port));
        match result {
            Ok(pair) => self.paired(pair_from_discovery(&config, Some(&pair)), port),
            Err(failure) => self.fetch_failed(port, failure),
        }
    }

    fn paired(&mut self, result: Result<PairedRelay, crate::PairingRefusal>, port: RelayPort) {
        match result {
            Ok(paired) => {
                self.push(Action::PersistPairing {
                    instance_id: paired.instance_id.clone(),
                    epoch: paired.epoch,
                    token: paired.token.clone(),
                });
                self.open_socket(paired.relay_port, Some(paired.instance_id), paired.token);
            }
            Err(refusal) => self.retry(port, RetryReason::Refused(refusal)),
        }
    }

    fn fetch_failed(&mut self, port: RelayPort, failure: FetchFailure) {
        let reason = match failure {
            FetchFailure::Unreachable => RetryReason::HubNotRunning,
            FetchFailure::Status(code) => RetryReason::BadResponse(format!("HTTP {code}")),
            FetchFailure::Malformed(m) => RetryReason::BadResponse(m),
        };
        self.retry(port, reason);
    }

    fn open_socket(&mut self, port: RelayPort, paired: Option<InstanceId>, token: Option<String>) {
        self.push(Action::OpenSocket { url: port.extension_url() });
        self.machine.phase = Phase::Opening { port, paired, token };
        self.report(Status::Connecting { port });
        self.set_timer(STEP_TIMEOUT_MS);
    }

    fn ack_received(&mut self, paired: Option<InstanceId>, ack: HandshakeAck) {
        let port = self.current_port();
        let instance = match check_ack(paired.as_ref(), &ack) {
            Ok(instance) => instance,
            Err(refusal) => {
                self.push(Action::CloseSocket { code: 1000, reason: refusal.to_string() });
                return self.retry(port, RetryReason::Refused(refusal));
            }
        };
        if let Ok(PortDecision::Store(p)) = decide_port_after_ack(self.machine.settings.stored_port, &ack) {
            self.machine.settings.stored_port = Some(i64::from(p.get()));
            self.push(Action::PersistPort(p));
        }
        let port = port_from_storage(Some(ack.relay_port));
        self.machine.schedule.reset();
        self.machine.config_attempts = 0;
        self.machine.phase = Phase::Connected { port, instance: instance.clone() };
        self.report(Status::Connected { port, instance });
        self.set_timer(KEEPALIVE_INTERVAL_MS);
    }

    fn socket_closed(&mut self, phase: Phase, code: u16, reason: String) {
        let port = match phase {
            Phase::Opening { port, .. } => return self.retry(port, RetryReason::HubNotRunning),
            Phase::AwaitingAck { port, .. } | Phase::Connected { port, .. } => port,
            _ => return,
        };
        if reason.contains(crate::wire::REPLACED_CLOSE_REASON) {
            return self.stand_by(port);
        }
        if code == 1008 || reason.contains("Invalid pairing token") {
            self.push(Action::ClearToken);
        }
        self.retry(port, RetryReason::SocketClosed { code, reason });
    }

    fn timer_fired(&mut self, phase: Phase) {
        match self.machine.timer_at {
            Some(at) if at <= self.now_ms => self.machine.timer_at = None,
            _ => return,
        }
        match phase {
            Phase::Idle => {}
            Phase::Waiting { .. } => self.begin_attempt(),
            Phase::StandingBy { port } => {
                self.machine.phase = Phase::CheckingOther { port };
                self.push(Action::FetchConfig { url: port.http_url("config") });
                self.set_timer(STEP_TIMEOUT_MS);
            }
            Phase::CheckingOther { port } => self.retry(port, RetryReason::Timeout),
            Phase::Connected { .. } => {
                self.push(Action::SendKeepalive);
                self.set_timer(KEEPALIVE_INTERVAL_MS);
            }
            Phase::Opening { port, .. } | Phase::AwaitingAck { port, .. } => {
                self.push(Action::CloseSocket { code: 1000, reason: "handshake timed out".into() });
                self.retry(port, RetryReason::Timeout);
            }
            Phase::FetchingConfig { port } => self.retry(port, RetryReason::Timeout),
            Phase::FetchingPair { config } => {
                self.retry(port_from_storage(Some(config.relay_port)), RetryReason::Timeout)
            }
        }
    }

    fn settings_changed(&mut self, new: Settings) {
        let old = std::mem::replace(&mut self.machine.settings, new.clone());
        if !new.auto_connect {
            if self.machine.phase == Phase::Idle {
                return;
            }
            if self.machine.socket_active() {
                self.push(Action::CloseSocket { code: 1000, reason: "auto-connect turned off".into() });
            }
            self.machine.phase = Phase::Idle;
            self.machine.timer_at = None;
            self.push(Action::CancelTimer);
            return self.report(Status::Disabled);
        }
        let connection_settings_changed = old.auto_pair != new.auto_pair
            || old.pairing_enabled != new.pairing_enabled
            || (!new.auto_pair && (old.manual_token != new.manual_token || old.stored_port != new.stored_port));
        if self.machine.phase == Phase::Idle {
            self.begin_attempt();
        } else if connection_settings_changed {
            if self.machine.socket_active() {
                self.push(Action::CloseSocket { code: 1000, reason: "settings changed".into() });
            }
            self.machine.schedule.reset();
            self.begin_attempt();
        }
    }

    fn current_port(&self) -> RelayPort {
        match &self.machine.phase {
            Phase::FetchingConfig { port }
            | Phase::Opening { port, .. }
            | Phase::AwaitingAck { port, .. }
            | Phase::Connected { port, .. }
            | Phase::Waiting { port }
            | Phase::StandingBy { port }
            | Phase::CheckingOther { port } => *port,
            Phase::FetchingPair { config } => port_from_storage(Some(config.relay_port)),
            Phase::Idle => RelayPort::DEFAULT,
        }
    }

    /// Another extension took the relay: stand by until it leaves (no back-and-forth).
    fn stand_by(&mut self, port: RelayPort) {
        self.machine.phase = Phase::StandingBy { port };
        self.set_timer(STANDBY_CHECK_MS);
        self.report(Status::StandingBy { port });
    }

    /// The standby check: stay while another extension is paired, else connect again.
    fn other_checked(&mut self, port: RelayPort, result: Result<ConfigResponse, FetchFailure>) {
        match result {
            Ok(config) if config.extension_connected == Some(true) => self.stand_by(port),
            Ok(_) => {
                self.machine.schedule.reset();
                self.begin_attempt();
            }
            Err(failure) => self.fetch_failed(port, failure),
        }
    }

    /// Waits before the next attempt. Never gives up while auto-connect is on.
    fn retry(&mut self, port: RelayPort, reason: RetryReason) {
        // Nothing listening, or a connection that dropped: most likely a hub restarting.
        let went_away = match &reason {
            RetryReason::HubNotRunning | RetryReason::Timeout => true,
            RetryReason::SocketClosed { code, .. } => !matches!(code, 1002 | 1008),
            RetryReason::Refused(_) | RetryReason::BadResponse(_) => false,
        };
        let at_ms = self.machine.schedule.next_retry_at(self.now_ms, self.jitter, went_away);
        self.machine.phase = Phase::Waiting { port };
        self.machine.timer_at = Some(at_ms);
        self.push(Action::SetTimer { at_ms });
        self.report(Status::Retrying { port, at_ms, reason });
    }
}
