//! Only the hub's own OS user gets in: every connection to the relay and the RPC is
//! checked against the user owning the peer's socket, once, when it is accepted.
//!
//! Loopback is not a user boundary: on a shared machine another user's process can reach
//! 127.0.0.1 too. Each platform has its own way to name the owner of the peer's end of a
//! loopback connection: Linux the kernel's TCP tables ([`linux`]), macOS libproc
//! ([`macos`]), Windows the TCP table with owning processes and their tokens ([`windows`]).
//! Where none answers ([`PeerUser::Unknown`]: no `/proc`, another platform) the tokens
//! (0600 files) and the extension-id check are what keep others out (docs/SECURITY.md).

// Each module's parsing is pure and compiled everywhere (unit-tested and fuzzed on any
// machine); its system calls only on its own platform.
pub mod linux;
pub mod macos;
pub mod windows;

use crate::error::HubError;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::io::ErrorKind;
use std::net::SocketAddr;

/// Whose process is on the other end of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerUser {
    /// The hub's own user.
    Same,
    /// Another user, as the platform names them ("uid 65534", "process 812 of another
    /// user") for the log.
    Other(String),
    /// This platform (or a missing `/proc`) cannot tell.
    Unknown,
}

/// What the hub knows of one accepted connection: the peer's address and its user.
#[derive(Debug, Clone)]
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
        stream.remote_addr().clone()
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
    if let PeerUser::Other(who) = &peer.user {
        let path = request.uri().path().to_owned();
        tracing::warn!(peer = %peer.addr, who, path, "refused: a process of another OS user");
        return refuse(HubError::Forbidden {
            code: "other_os_user",
            message: format!(
                "Forbidden: this hub belongs to another OS user (the connection came from {who}); \
                 start your own hub (`opendevbrowser serve`) on other ports"
            ),
        });
    }
    request.extensions_mut().insert(ConnectInfo(peer.addr));
    next.run(request).await
}

/// Who owns the peer socket of a connection accepted on `local` from `peer`.
fn user_of_peer(local: SocketAddr, peer: SocketAddr) -> PeerUser {
    #[cfg(target_os = "linux")]
    return linux::user_of_peer(local, peer);
    #[cfg(target_os = "macos")]
    return macos::user_of_peer(local, peer);
    #[cfg(windows)]
    return windows::user_of_peer(local, peer);
    #[allow(unreachable_code)]
    {
        let _ = (local, peer);
        PeerUser::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(target_os = "linux", target_os = "macos", windows))]
    #[tokio::test]
    async fn a_connection_of_this_process_is_this_users() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(user_of_peer(server.local_addr().unwrap(), peer), PeerUser::Same);
    }
}
