//! Only the hub's own OS user gets in: every connection to the relay and the RPC is
//! checked against the user owning the peer's socket, once, when it is accepted.
//!
//! Loopback is not a user boundary: on a shared machine another user's process can reach
//! 127.0.0.1 too. On Linux the kernel's TCP table (`/proc/net/tcp`, `/proc/net/tcp6`)
//! names the owner of every socket, the peer's included (same network namespace, which
//! loopback implies). Elsewhere this module cannot tell ([`PeerUser::Unknown`]): the
//! tokens (0600 files) and the extension-id check are then what keep others out
//! (docs/SECURITY.md).
//!
//! [`owner_in_table`] is pure (the table's text in, a uid out) and unit-tested; the
//! rest reads the table and the hub's own uid.

use crate::error::HubError;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};

/// Whose process is on the other end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerUser {
    /// The hub's own user.
    Same,
    /// Another user (their uid).
    Other(u32),
    /// This platform (or a missing `/proc`) cannot tell.
    Unknown,
}

/// What the hub knows of one accepted connection: the peer's address and its user.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    /// The peer's address (handlers read it as `ConnectInfo<SocketAddr>`).
    pub addr: SocketAddr,
    /// Who owns the peer's socket.
    pub user: PeerUser,
}

/// The hub's listeners: loopback TCP with `TCP_NODELAY` on each connection (small
/// WebSocket frames and RPC answers must not wait for Nagle's algorithm), each connection
/// tagged with its peer's user as it is accepted.
pub struct Listener(pub tokio::net::TcpListener);

impl axum::serve::Listener for Listener {
    type Io = tokio::net::TcpStream;
    type Addr = Peer;

    async fn accept(&mut self) -> (Self::Io, Peer) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let user = stream.local_addr().map_or(PeerUser::Unknown, |local| user_of_peer(local, addr));
                    return (stream, Peer { addr, user });
                }
                // A connection reset before it was accepted: take the next one.
                Err(e) if matches!(e.kind(), ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset) => {}
                // Out of file descriptors, say: wait a little instead of spinning.
                Err(e) => {
                    tracing::error!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Peer> {
        Ok(Peer { addr: self.0.local_addr()?, user: PeerUser::Same })
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, Listener>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, Listener>) -> Peer {
        *stream.remote_addr()
    }
}

/// Serves `router` on `listener` until `stop` turns true: this user's connections only
/// (another's refused as `refuse` writes it), `TCP_NODELAY` on each. `what` names the
/// server in the log if it ends on an error. The relay and the RPC both serve so.
pub fn spawn_server(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    refuse: Refusal,
    mut stop: tokio::sync::watch::Receiver<bool>,
    what: &'static str,
) {
    let app = router
        .layer(axum::middleware::from_fn_with_state(refuse, only_this_user))
        .into_make_service_with_connect_info::<Peer>();
    tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(Listener(listener), app).with_graceful_shutdown(stopped).await {
            tracing::error!("{what} stopped: {e}");
        }
    });
}

/// How a server writes a refusal (the relay and the RPC each have their error shape).
pub type Refusal = fn(HubError) -> Response;

/// Middleware: refuses another user's connection with 403 `other_os_user` (logged with
/// the uid), and hands the peer's address on to the handlers as `ConnectInfo<SocketAddr>`.
pub async fn only_this_user(
    State(refuse): State<Refusal>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    mut request: Request,
    next: Next,
) -> Response {
    if let PeerUser::Other(uid) = peer.user {
        let path = request.uri().path().to_owned();
        tracing::warn!(peer = %peer.addr, uid, path, "refused: a process of another OS user");
        return refuse(HubError::Forbidden {
            code: "other_os_user",
            message: format!(
                "Forbidden: this hub belongs to another OS user (your uid {uid}); start your own hub \
                 (`opendevbrowser serve`) on other ports"
            ),
        });
    }
    request.extensions_mut().insert(ConnectInfo(peer.addr));
    next.run(request).await
}

/// Who owns the peer socket of a connection accepted on `local` from `peer`.
fn user_of_peer(local: SocketAddr, peer: SocketAddr) -> PeerUser {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(me) = std::fs::metadata("/proc/self").map(|m| m.uid()) else { return PeerUser::Unknown };
        let table = if peer.is_ipv4() { "/proc/net/tcp" } else { "/proc/net/tcp6" };
        match std::fs::read_to_string(table).ok().and_then(|text| owner_in_table(&text, peer, local)) {
            Some(uid) if uid == me => PeerUser::Same,
            Some(uid) => PeerUser::Other(uid),
            None => PeerUser::Unknown,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (local, peer);
        PeerUser::Unknown
    }
}

/// The uid owning the socket bound to `socket` and connected to `remote`, from the text of
/// `/proc/net/tcp` or `/proc/net/tcp6`.
pub fn owner_in_table(table: &str, socket: SocketAddr, remote: SocketAddr) -> Option<u32> {
    let (want_local, want_remote) = (encode(socket), encode(remote));
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (local, rem, uid) = (fields.get(1)?, fields.get(2)?, fields.get(7)?);
        (local.eq_ignore_ascii_case(&want_local) && rem.eq_ignore_ascii_case(&want_remote))
            .then(|| uid.parse().ok())
            .flatten()
    })
}

/// An address as the kernel's table writes it: each 32-bit word of the address in host
/// (little-endian) byte order as hex, then `:` and the port in hex.
fn encode(addr: SocketAddr) -> String {
    let words: Vec<[u8; 4]> = match addr.ip() {
        IpAddr::V4(ip) => vec![ip.octets()],
        IpAddr::V6(ip) => ip.octets().chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect(),
    };
    let hex: String = words.iter().map(|w| format!("{:08X}", u32::from_ne_bytes(*w))).collect();
    format!("{hex}:{:04X}", addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two lines of a real `/proc/net/tcp` (x86-64): a listener on 127.0.0.1:8787 of uid
    /// 1000, and a client 127.0.0.1:51234 → 127.0.0.1:8787 of uid 65534.
    const TABLE: &str =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2253 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 11 1 0 100 0 0 10 0
   1: 0100007F:C822 0100007F:2253 01 00000000:00000000 00:00000000 00000000 65534        0 12 1 0 20 4 30 10 -1
";

    #[cfg(target_endian = "little")]
    #[test]
    fn the_clients_socket_is_found_by_its_two_ends_and_names_its_user() {
        let (client, hub) = ("127.0.0.1:51234".parse().unwrap(), "127.0.0.1:8787".parse().unwrap());
        assert_eq!(owner_in_table(TABLE, client, hub), Some(65534));
        assert_eq!(owner_in_table(TABLE, hub, client), None, "the hub's own end is not in this table");
        assert_eq!(owner_in_table(TABLE, "127.0.0.1:1".parse().unwrap(), hub), None);
        assert_eq!(owner_in_table("garbage\n1: x", client, hub), None);
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn ipv6_loopback_is_written_word_by_word() {
        let addr: SocketAddr = "[::1]:8787".parse().unwrap();
        assert_eq!(encode(addr), "00000000000000000000000001000000:2253");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_connection_of_this_process_is_this_users() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(user_of_peer(server.local_addr().unwrap(), peer), PeerUser::Same);
    }
}
