//! A simulated extension: a native driver of the shared `pairing::AutoPair` machine with
//! real HTTP fetches and a real WebSocket, answering CDP commands from a test-supplied
//! responder. It makes relay tests fast and lets them inject faults (dropped sockets,
//! hung commands, wrong tokens); it never replaces the real extension in end-to-end tests.

use futures_util::{SinkExt, StreamExt};
use pairing::wire::{parse_relay_frame, CdpCommand, CdpEvent, CdpResponse, ExtensionFrame, Handshake, RelayFrame};
use pairing::{Action, AutoPair, Event, FetchFailure, Settings, SplitMix, Status};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// How the simulator answers one forwarded CDP command.
#[derive(Debug, Clone)]
pub enum SimReply {
    /// `{"id", "result": …}`
    Result(Value),
    /// `{"id", "error": {"message": …}}`
    Error(String),
    /// No answer at all (a hung command).
    Ignore,
    /// Drop the TCP connection without a close frame (a crashed extension).
    Drop,
}

/// Decides the reply to each command.
pub type Responder = Arc<dyn Fn(&CdpCommand) -> SimReply + Send + Sync>;

/// The default responder: `Runtime.evaluate` of `1+1` is 2, `Browser.getVersion` is a
/// simulated product, anything else echoes its method and params.
pub fn default_responder() -> Responder {
    Arc::new(|cmd: &CdpCommand| match cmd.method.as_str() {
        "Runtime.evaluate" => {
            let expr = cmd.params.as_ref().and_then(|p| p.get("expression")).and_then(Value::as_str);
            match expr {
                Some("1+1") => SimReply::Result(json!({"result": {"type": "number", "value": 2, "description": "2"}})),
                _ => SimReply::Result(json!({"result": {"type": "undefined"}})),
            }
        }
        "Browser.getVersion" => SimReply::Result(json!({"protocolVersion": "1.3", "product": "SimulatedExtension"})),
        _ => SimReply::Result(json!({"echo": cmd.method, "params": cmd.params, "sessionId": cmd.session_id})),
    })
}

/// How to start a simulator.
#[derive(Clone)]
pub struct SimOptions {
    /// The storage-backed settings it starts from.
    pub settings: Settings,
    /// `Origin` sent on fetches and the socket (`None` sends none).
    pub origin: Option<String>,
    /// The tab id reported in the handshake.
    pub tab_id: i64,
    /// Answers forwarded commands.
    pub responder: Responder,
    /// Seed for the reconnect jitter.
    pub seed: u64,
    /// The protocol version announced in the handshake (`None` acts as an upstream build).
    pub protocol_version: Option<u32>,
}

impl SimOptions {
    /// Auto-pair against a hub whose discovery (config) port is `discovery_port`.
    pub fn new(discovery_port: u16) -> Self {
        let port = pairing::RelayPort::from_wire(i64::from(discovery_port)).expect("a non-zero port");
        SimOptions {
            settings: Settings { discovery_port: port, ..Settings::default() },
            origin: Some(format!("chrome-extension://{}", pairing::EXTENSION_ID)),
            tab_id: 1,
            responder: default_responder(),
            seed: 7,
            protocol_version: Some(pairing::PROTOCOL_VERSION),
        }
    }
}

/// What the simulator shows, like the popup would.
#[derive(Debug, Clone)]
pub struct SimStatus {
    /// The machine's status.
    pub status: Status,
    /// The persisted `relayPort`.
    pub stored_port: Option<i64>,
    /// The persisted pairing token.
    pub token: Option<String>,
    /// How many handshake acks it has received in total.
    pub acks: u32,
    /// The `cdp_control` actions the hub sent (e.g. `detach_all`), oldest first.
    pub controls: Vec<String>,
}

enum Control {
    Emit(CdpEvent),
    DropSocket,
    Settings(Settings),
}

enum Internal {
    Machine(u64, Event),
    Control(String),
    Opened(u64, mpsc::UnboundedSender<Message>, JoinHandle<()>, JoinHandle<()>),
}

/// A running simulated extension. Dropping it stops it.
pub struct SimExtension {
    status: watch::Receiver<SimStatus>,
    control: mpsc::UnboundedSender<Control>,
    task: JoinHandle<()>,
}

impl Drop for SimExtension {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SimExtension {
    /// Starts the simulator (it sends `Start` at once).
    pub fn spawn(opts: SimOptions) -> Self {
        let initial = SimStatus {
            status: Status::Disabled,
            stored_port: opts.settings.stored_port,
            token: None,
            acks: 0,
            controls: Vec::new(),
        };
        let (status_tx, status) = watch::channel(initial);
        let (control, control_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(Driver::new(opts, status_tx).run(control_rx));
        SimExtension { status, control, task }
    }

    /// The current status.
    pub fn status(&self) -> SimStatus {
        self.status.borrow().clone()
    }

    /// Waits until `pred` holds; on timeout returns the last status as the error.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        pred: impl Fn(&SimStatus) -> bool,
    ) -> Result<SimStatus, SimStatus> {
        let mut rx = self.status.clone();
        let found =
            tokio::time::timeout(timeout, rx.wait_for(|s| pred(s))).await.ok().and_then(|r| r.ok().map(|s| s.clone()));
        found.ok_or_else(|| self.status())
    }

    /// Waits for the `connected` state.
    pub async fn wait_connected(&self, timeout: Duration) -> Result<SimStatus, SimStatus> {
        self.wait_until(timeout, |s| s.status.state() == "connected").await
    }

    /// Sends a CDP event to the hub.
    pub fn emit(&self, event: CdpEvent) {
        let _ = self.control.send(Control::Emit(event));
    }

    /// Drops the socket without a close frame, as a crashed extension would.
    pub fn drop_socket(&self) {
        let _ = self.control.send(Control::DropSocket);
    }

    /// Changes the settings, as a popup edit would.
    pub fn set_settings(&self, settings: Settings) {
        let _ = self.control.send(Control::Settings(settings));
    }
}

struct Socket {
    out: mpsc::UnboundedSender<Message>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

/// A dropped socket (including when the simulator is dropped) ends its tasks, so the hub
/// sees the extension leave.
impl Drop for Socket {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

struct Driver {
    opts: SimOptions,
    machine: AutoPair,
    jitter: SplitMix,
    t0: tokio::time::Instant,
    generation: u64,
    socket: Option<Socket>,
    internal_tx: mpsc::UnboundedSender<Internal>,
    internal_rx: mpsc::UnboundedReceiver<Internal>,
    status_tx: watch::Sender<SimStatus>,
    http: reqwest::Client,
}

impl Driver {
    fn new(opts: SimOptions, status_tx: watch::Sender<SimStatus>) -> Self {
        let (internal_tx, internal_rx) = mpsc::unbounded_channel();
        Driver {
            machine: AutoPair::new(opts.settings.clone()),
            jitter: SplitMix::new(opts.seed),
            t0: tokio::time::Instant::now(),
            generation: 0,
            socket: None,
            internal_tx,
            internal_rx,
            status_tx,
            http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http client"),
            opts,
        }
    }

    fn now(&self) -> u64 {
        self.t0.elapsed().as_millis() as u64
    }

    async fn run(mut self, mut control: mpsc::UnboundedReceiver<Control>) {
        self.feed(Event::Start);
        loop {
            let timer = self.machine.timer_at().map(|at| self.t0 + Duration::from_millis(at));
            let event = tokio::select! {
                Some(internal) = self.internal_rx.recv() => match internal {
                    Internal::Machine(g, e) if g == self.generation => e,
                    Internal::Machine(..) => continue,
                    Internal::Control(action) => { self.publish(|s| s.controls.push(action)); continue }
                    Internal::Opened(g, out, reader, writer) if g == self.generation => {
                        self.socket = Some(Socket { out, reader, writer });
                        Event::SocketOpened
                    }
                    Internal::Opened(_, _, reader, writer) => { reader.abort(); writer.abort(); continue }
                },
                Some(c) = control.recv() => match c {
                    Control::Emit(e) => { self.send(ExtensionFrame::Event(e)); continue }
                    Control::Settings(s) => Event::SettingsChanged(s),
                    Control::DropSocket => {
                        self.drop_socket();
                        Event::SocketClosed { code: 1006, reason: "dropped by the simulator".into() }
                    }
                },
                _ = sleep_until(timer) => Event::TimerFired,
                else => return,
            };
            self.feed(event);
        }
    }

    fn feed(&mut self, event: Event) {
        let now = self.now();
        for action in self.machine.handle(now, event, &mut self.jitter) {
            self.execute(action);
        }
    }

    fn publish(&self, f: impl FnOnce(&mut SimStatus)) {
        self.status_tx.send_modify(f);
    }

    fn send(&self, frame: ExtensionFrame) {
        if let Some(s) = &self.socket {
            let _ = s.out.send(Message::text(frame.to_json()));
        }
    }

    fn drop_socket(&mut self) {
        if let Some(s) = self.socket.take() {
            s.reader.abort();
            s.writer.abort();
        }
    }

    fn execute(&mut self, action: Action) {
        match action {
            Action::FetchConfig { url } => self.fetch(url, Event::ConfigFetched),
            Action::FetchPair { url } => self.fetch(url, Event::PairFetched),
            Action::OpenSocket { url } => self.open(url),
            Action::SendHandshake { pairing_token } => self.send(ExtensionFrame::Handshake(Handshake {
                tab_id: self.opts.tab_id,
                url: Some("http://127.0.0.1/simulated".into()),
                title: Some("Simulated tab".into()),
                group_id: Some(-1),
                pairing_token,
                protocol_version: self.opts.protocol_version,
                extension_version: Some("simulated".into()),
            })),
            Action::SendKeepalive => self.send(ExtensionFrame::Ping { id: format!("k{}", self.now()) }),
            Action::CloseSocket { code, reason } => {
                if let Some(s) = self.socket.take() {
                    let frame = CloseFrame { code: CloseCode::from(code), reason: reason.into() };
                    let _ = s.out.send(Message::Close(Some(frame)));
                }
            }
            Action::PersistPort(p) => self.publish(|s| s.stored_port = Some(i64::from(p.get()))),
            Action::PersistPairing { token, .. } => self.publish(|s| s.token = token),
            Action::ClearToken => self.publish(|s| s.token = None),
            Action::Report(status) => {
                let ack = matches!(status, Status::Connected { .. });
                self.publish(|s| {
                    s.status = status;
                    s.acks += u32::from(ack);
                })
            }
            Action::SetTimer { .. } | Action::CancelTimer => {}
        }
    }

    fn fetch<T: serde::de::DeserializeOwned + Send + 'static>(
        &mut self,
        url: String,
        wrap: fn(Result<T, FetchFailure>) -> Event,
    ) {
        self.generation += 1;
        let (generation, tx, http, origin) =
            (self.generation, self.internal_tx.clone(), self.http.clone(), self.opts.origin.clone());
        tokio::spawn(async move {
            let mut request = http.get(url);
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            let result = match request.send().await {
                Err(_) => Err(FetchFailure::Unreachable),
                Ok(r) if !r.status().is_success() => Err(FetchFailure::Status(r.status().as_u16())),
                Ok(r) => r.json::<T>().await.map_err(|e| FetchFailure::Malformed(e.to_string())),
            };
            let _ = tx.send(Internal::Machine(generation, wrap(result)));
        });
    }

    fn open(&mut self, url: String) {
        self.drop_socket();
        self.generation += 1;
        let generation = self.generation;
        let (tx, origin, responder) = (self.internal_tx.clone(), self.opts.origin.clone(), self.opts.responder.clone());
        tokio::spawn(async move {
            let mut request = url.into_client_request().expect("valid ws url");
            if let Some(origin) = origin {
                request.headers_mut().insert("origin", origin.parse().expect("origin header"));
            }
            let (ws, _) = match tokio_tungstenite::connect_async(request).await {
                Ok(ok) => ok,
                Err(e) => {
                    let closed = Event::SocketClosed { code: 1006, reason: e.to_string() };
                    let _ = tx.send(Internal::Machine(generation, closed));
                    return;
                }
            };
            let (mut sink, mut stream) = ws.split();
            let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
            let writer = tokio::spawn(async move {
                while let Some(m) = out_rx.recv().await {
                    let close = matches!(m, Message::Close(_));
                    if sink.send(m).await.is_err() || close {
                        break;
                    }
                }
            });
            let reply_out = out.clone();
            let events = tx.clone();
            let reader = tokio::spawn(async move {
                let (code, reason) = read_loop(&mut stream, &reply_out, &responder, generation, &events).await;
                let _ = events.send(Internal::Machine(generation, Event::SocketClosed { code, reason }));
            });
            let _ = tx.send(Internal::Opened(generation, out, reader, writer));
        });
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

type WsStream = futures_util::stream::SplitStream<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
>;

/// Reads relay frames until the socket ends; returns the close code and reason.
async fn read_loop(
    stream: &mut WsStream,
    out: &mpsc::UnboundedSender<Message>,
    responder: &Responder,
    generation: u64,
    events: &mpsc::UnboundedSender<Internal>,
) -> (u16, String) {
    while let Some(message) = stream.next().await {
        let text = match message {
            Ok(Message::Text(t)) => t.to_string(),
            Ok(Message::Close(frame)) => {
                return frame.map_or((1005, String::new()), |f| (u16::from(f.code), f.reason.to_string()));
            }
            Ok(_) => continue,
            Err(e) => return (1006, e.to_string()),
        };
        match parse_relay_frame(&text) {
            Ok(RelayFrame::HandshakeAck(ack)) => {
                let _ = events.send(Internal::Machine(generation, Event::AckReceived(ack)));
            }
            Ok(RelayFrame::ForwardCdpCommand(cmd)) => {
                let (result, error) = match responder(&cmd) {
                    SimReply::Result(v) => (Some(v), None),
                    SimReply::Error(m) => (None, Some(json!({"message": m}))),
                    SimReply::Ignore => continue,
                    SimReply::Drop => return (1006, "dropped by the simulator".into()),
                };
                let response = CdpResponse { id: cmd.id, result, error, session_id: cmd.session_id };
                let _ = out.send(Message::text(ExtensionFrame::Response(response).to_json()));
            }
            Ok(RelayFrame::Pong { .. } | RelayFrame::HealthCheckResult { .. }) => {}
            Err(_) => {
                let value: Value = serde_json::from_str(&text).unwrap_or_default();
                if let (Some("cdp_control"), Some(action)) = (value["type"].as_str(), value["action"].as_str()) {
                    let _ = events.send(Internal::Control(action.to_owned()));
                }
            }
        }
    }
    (1006, "connection ended".into())
}
