//! macOS: who owns the peer's end of a loopback connection, found through libproc.
//!
//! macOS has no socket table naming owners that any user may read. libproc lists a
//! process's open files and, for a socket, its two ends; the kernel lets a process inspect
//! only its own user's processes (root: all). So the hub walks the processes it may see,
//! newest first (a client has usually just started), for the socket whose local end is the
//! peer's address and whose remote end is the hub's: found, the owner is that process's
//! user; not found, the socket belongs to a process this user cannot inspect — another
//! user's — and the connection is refused (as it is when the peer has already gone).
//!
//! The socket record is read from bytes at the offsets of `struct socket_fdinfo` in
//! `<sys/proc_info.h>` (x86-64 and arm64 lay it out alike); [`ends_of_socket`] is pure and
//! unit-tested on every platform with a record built at those offsets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// `proc_pidfdinfo` flavour: a socket's `struct socket_fdinfo`.
#[cfg(target_os = "macos")]
const PROC_PIDFDSOCKETINFO: i32 = 3;
/// `soi_kind` of an internet socket (`SOCKINFO_IN`) and a TCP one (`SOCKINFO_TCP`).
const SOCKINFO_IN: i32 = 1;
const SOCKINFO_TCP: i32 = 2;
/// `insi_vflag` bits: IPv4, IPv6.
const INI_IPV4: u8 = 0x1;
const INI_IPV6: u8 = 0x2;

/// Byte offsets in `struct socket_fdinfo` (`pfi`: 24 bytes, then `psi`, whose
/// `soi_stat` is 136 bytes; `soi_proto` starts 240 bytes into `psi`, with the
/// `struct in_sockinfo` that both `pri_in` and `pri_tcp` begin with).
mod offset {
    pub(super) const KIND: usize = 24 + 232;
    const IN_SOCKINFO: usize = 24 + 240;
    pub(super) const FOREIGN_PORT: usize = IN_SOCKINFO;
    pub(super) const LOCAL_PORT: usize = IN_SOCKINFO + 4;
    pub(super) const VFLAG: usize = IN_SOCKINFO + 24;
    pub(super) const FOREIGN_ADDR: usize = IN_SOCKINFO + 32;
    pub(super) const LOCAL_ADDR: usize = IN_SOCKINFO + 48;
    /// Enough for the whole record (784 bytes in current SDKs) with room to spare: the
    /// kernel refuses a smaller buffer and copies exactly its size.
    #[cfg(any(target_os = "macos", test))]
    pub(super) const RECORD: usize = 1024;
}

/// Who owns the peer socket of a connection accepted on `local` from `peer`.
#[cfg(target_os = "macos")]
pub(super) fn user_of_peer(local: SocketAddr, peer: SocketAddr) -> super::PeerUser {
    use super::PeerUser;
    // SAFETY: getuid cannot fail.
    let me = unsafe { libc::getuid() };
    let mut pids = all_pids();
    pids.sort_unstable_by(|a, b| b.cmp(a));
    let owner = pids.into_iter().find(|&pid| {
        socket_fds(pid)
            .into_iter()
            .any(|fd| socket_record(pid, fd).and_then(|r| ends_of_socket(&r)) == Some((peer, local)))
    });
    match owner.map(uid_of) {
        Some(Some(uid)) if uid == me => PeerUser::Same,
        Some(Some(uid)) => PeerUser::Other(format!("uid {uid}")),
        Some(None) => PeerUser::Unknown,
        None if me == 0 => PeerUser::Unknown,
        None => PeerUser::Other("a process this user may not inspect".into()),
    }
}

/// The local and remote ends of a TCP or internet socket record, `None` for any other.
pub fn ends_of_socket(record: &[u8]) -> Option<(SocketAddr, SocketAddr)> {
    let int = |at: usize| Some(i32::from_ne_bytes(record.get(at..at + 4)?.try_into().ok()?));
    // The ports are kept as in the packet (network order) in the low 16 bits of an int.
    let port = |at: usize| int(at).map(|v| u16::from_be(v as u16));
    let kind = int(offset::KIND)?;
    if kind != SOCKINFO_IN && kind != SOCKINFO_TCP {
        return None;
    }
    let vflag = *record.get(offset::VFLAG)?;
    let ip = |at: usize| -> Option<IpAddr> {
        let bytes: [u8; 16] = record.get(at..at + 16)?.try_into().ok()?;
        if vflag & INI_IPV4 != 0 {
            Some(IpAddr::V4(Ipv4Addr::new(bytes[12], bytes[13], bytes[14], bytes[15])))
        } else if vflag & INI_IPV6 != 0 {
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        } else {
            None
        }
    };
    let local = SocketAddr::new(ip(offset::LOCAL_ADDR)?, port(offset::LOCAL_PORT)?);
    let remote = SocketAddr::new(ip(offset::FOREIGN_ADDR)?, port(offset::FOREIGN_PORT)?);
    Some((local, remote))
}

#[cfg(target_os = "macos")]
fn all_pids() -> Vec<i32> {
    // SAFETY: a null buffer asks for the count; the second call fills at most `len` pids.
    unsafe {
        let count = libc::proc_listallpids(std::ptr::null_mut(), 0).max(0) as usize;
        let mut pids = vec![0i32; count + 64];
        let bytes = (pids.len() * 4) as i32;
        let got = libc::proc_listallpids(pids.as_mut_ptr().cast(), bytes).max(0) as usize;
        pids.truncate(got.min(pids.len()));
        pids
    }
}

#[cfg(target_os = "macos")]
fn socket_fds(pid: i32) -> Vec<i32> {
    let size = std::mem::size_of::<libc::proc_fdinfo>();
    // SAFETY: a null buffer asks for the size; the second call fills at most `buf` bytes.
    unsafe {
        let need = libc::proc_pidinfo(pid, libc::PROC_PIDLISTFDS, 0, std::ptr::null_mut(), 0);
        if need <= 0 {
            return Vec::new(); // another user's process, or gone
        }
        let mut fds: Vec<libc::proc_fdinfo> = Vec::with_capacity(need as usize / size + 16);
        let bytes = (fds.capacity() * size) as i32;
        let got = libc::proc_pidinfo(pid, libc::PROC_PIDLISTFDS, 0, fds.as_mut_ptr().cast(), bytes);
        fds.set_len((got.max(0) as usize / size).min(fds.capacity()));
        fds.iter().filter(|f| f.proc_fdtype == libc::PROX_FDTYPE_SOCKET as u32).map(|f| f.proc_fd).collect()
    }
}

#[cfg(target_os = "macos")]
fn socket_record(pid: i32, fd: i32) -> Option<Vec<u8>> {
    let mut record = vec![0u8; offset::RECORD];
    // SAFETY: the kernel writes at most `record.len()` bytes.
    let got =
        unsafe { libc::proc_pidfdinfo(pid, fd, PROC_PIDFDSOCKETINFO, record.as_mut_ptr().cast(), record.len() as i32) };
    (got > 0).then_some(record)
}

#[cfg(target_os = "macos")]
fn uid_of(pid: i32) -> Option<u32> {
    // SAFETY: proc_bsdinfo is plain data; the kernel fills at most its size.
    unsafe {
        let mut info: libc::proc_bsdinfo = std::mem::zeroed();
        let size = std::mem::size_of::<libc::proc_bsdinfo>() as i32;
        let got =
            libc::proc_pidinfo(pid, libc::PROC_PIDTBSDINFO, 0, (&mut info as *mut libc::proc_bsdinfo).cast(), size);
        (got == size).then_some(info.pbi_uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as the kernel writes it for a TCP socket 127.0.0.1:51234 → 127.0.0.1:8787.
    fn tcp_record(local: (Ipv4Addr, u16), remote: (Ipv4Addr, u16)) -> Vec<u8> {
        let mut r = vec![0u8; offset::RECORD];
        let mut put = |at: usize, bytes: &[u8]| r[at..at + bytes.len()].copy_from_slice(bytes);
        put(offset::KIND, &SOCKINFO_TCP.to_ne_bytes());
        put(offset::VFLAG, &[INI_IPV4]);
        put(offset::LOCAL_PORT, &i32::from(local.1.to_be()).to_ne_bytes());
        put(offset::FOREIGN_PORT, &i32::from(remote.1.to_be()).to_ne_bytes());
        put(offset::LOCAL_ADDR + 12, &local.0.octets());
        put(offset::FOREIGN_ADDR + 12, &remote.0.octets());
        r
    }

    #[test]
    fn a_tcp_record_gives_its_two_ends() {
        let lo = Ipv4Addr::LOCALHOST;
        let ends = ends_of_socket(&tcp_record((lo, 51234), (lo, 8787)));
        assert_eq!(ends, Some(("127.0.0.1:51234".parse().unwrap(), "127.0.0.1:8787".parse().unwrap())));
    }

    #[test]
    fn other_sockets_and_short_records_give_nothing() {
        let mut unix_socket = tcp_record((Ipv4Addr::LOCALHOST, 1), (Ipv4Addr::LOCALHOST, 2));
        unix_socket[offset::KIND..offset::KIND + 4].copy_from_slice(&3i32.to_ne_bytes());
        assert_eq!(ends_of_socket(&unix_socket), None);
        assert_eq!(ends_of_socket(&[0u8; 100]), None);
    }
}
