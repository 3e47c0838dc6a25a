//! Linux: the kernel's TCP tables (`/proc/net/tcp`, `/proc/net/tcp6`) name the owner of
//! every socket in the network namespace, the peer's end of a loopback connection included,
//! and any user may read them.
//!
//! [`owner_in_table`] is pure (the table's text in, a uid out) and unit-tested everywhere;
//! `user_of_peer` reads the table and the hub's own uid.

use std::net::{IpAddr, SocketAddr};

/// Who owns the peer socket of a connection accepted on `local` from `peer`.
#[cfg(target_os = "linux")]
pub(super) fn user_of_peer(local: SocketAddr, peer: SocketAddr) -> super::PeerUser {
    use super::PeerUser;
    use std::os::unix::fs::MetadataExt;
    let Ok(me) = std::fs::metadata("/proc/self").map(|m| m.uid()) else { return PeerUser::Unknown };
    let table = if peer.is_ipv4() { "/proc/net/tcp" } else { "/proc/net/tcp6" };
    match std::fs::read_to_string(table).ok().and_then(|text| owner_in_table(&text, peer, local)) {
        Some(uid) if uid == me => PeerUser::Same,
        Some(uid) => PeerUser::Other(format!("uid {uid}")),
        None => PeerUser::Unknown,
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
}
