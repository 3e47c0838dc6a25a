//! Windows: the TCP table with owning processes (`GetExtendedTcpTable`, class
//! `TCP_TABLE_OWNER_PID_CONNECTIONS`) names the process holding the peer's end of a
//! loopback connection, and that process's access token names its user (a SID), compared
//! with the hub's own. A process the hub may not open (`PROCESS_QUERY_LIMITED_INFORMATION`
//! is granted to its own user, SYSTEM and administrators) is another user's.
//!
//! [`owner_pid`] is pure (rows in, a pid out) and unit-tested on every platform.

use std::net::SocketAddr;

/// One connection of the TCP table: its local end, its remote end, its process id.
pub type Row = (SocketAddr, SocketAddr, u32);

/// The process holding the socket bound to `socket` and connected to `remote`.
pub fn owner_pid(rows: &[Row], socket: SocketAddr, remote: SocketAddr) -> Option<u32> {
    rows.iter().find(|(local, rem, _)| *local == socket && *rem == remote).map(|(_, _, pid)| *pid)
}

/// Who owns the peer socket of a connection accepted on `local` from `peer`.
#[cfg(windows)]
pub(super) fn user_of_peer(local: SocketAddr, peer: SocketAddr) -> super::PeerUser {
    use super::PeerUser;
    let Some(pid) = owner_pid(&ffi::tcp_rows(peer.is_ipv4()), peer, local) else { return PeerUser::Unknown };
    // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no closing.
    let Some(me) = ffi::user_of_process(unsafe { windows_sys::Win32::System::Threading::GetCurrentProcess() }) else {
        return PeerUser::Unknown;
    };
    match ffi::open_process(pid).and_then(|process| ffi::user_of_process(process.0)) {
        Some(theirs) if ffi::same_sid(&me, &theirs) => PeerUser::Same,
        Some(_) => PeerUser::Other(format!("process {pid} of another user")),
        None => PeerUser::Other(format!("process {pid}, which this user may not inspect")),
    }
}

#[cfg(windows)]
mod ffi {
    use super::Row;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::NetworkManagement::IpHelper::{
        GetExtendedTcpTable, MIB_TCP6TABLE_OWNER_PID, MIB_TCPTABLE_OWNER_PID, TCP_TABLE_OWNER_PID_CONNECTIONS,
    };
    use windows_sys::Win32::Networking::WinSock::{AF_INET, AF_INET6};
    use windows_sys::Win32::Security::{EqualSid, GetTokenInformation, TokenUser, TOKEN_QUERY, TOKEN_USER};
    use windows_sys::Win32::System::Threading::{OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION};

    /// A handle closed when dropped.
    pub(super) struct Owned(pub HANDLE);
    impl Drop for Owned {
        fn drop(&mut self) {
            // SAFETY: the handle was opened by this module and is closed once.
            unsafe { CloseHandle(self.0) };
        }
    }

    /// Every TCP connection of one address family with its owning process.
    pub(super) fn tcp_rows(ipv4: bool) -> Vec<Row> {
        let family = u32::from(if ipv4 { AF_INET } else { AF_INET6 });
        // The table can grow between the size query and the read: try a few times.
        let mut size = 0u32;
        for _ in 0..4 {
            let mut buf = vec![0u64; size as usize / 8 + 1];
            // SAFETY: the call writes at most `size` bytes into `buf` (8-aligned).
            let status = unsafe {
                GetExtendedTcpTable(buf.as_mut_ptr().cast(), &mut size, 0, family, TCP_TABLE_OWNER_PID_CONNECTIONS, 0)
            };
            if status == 0 {
                // SAFETY: on success `buf` holds the table of this family's layout.
                return unsafe {
                    if ipv4 {
                        v4_rows(&buf)
                    } else {
                        v6_rows(&buf)
                    }
                };
            }
        }
        Vec::new()
    }

    unsafe fn v4_rows(buf: &[u64]) -> Vec<Row> {
        let table = &*(buf.as_ptr() as *const MIB_TCPTABLE_OWNER_PID);
        let rows = std::slice::from_raw_parts(table.table.as_ptr(), table.dwNumEntries as usize);
        // Addresses are in network order as they lie in memory; ports in the low 16 bits.
        let end =
            |addr: u32, port: u32| SocketAddr::from((Ipv4Addr::from(addr.to_ne_bytes()), u16::from_be(port as u16)));
        rows.iter()
            .map(|r| (end(r.dwLocalAddr, r.dwLocalPort), end(r.dwRemoteAddr, r.dwRemotePort), r.dwOwningPid))
            .collect()
    }

    unsafe fn v6_rows(buf: &[u64]) -> Vec<Row> {
        let table = &*(buf.as_ptr() as *const MIB_TCP6TABLE_OWNER_PID);
        let rows = std::slice::from_raw_parts(table.table.as_ptr(), table.dwNumEntries as usize);
        let end = |addr: [u8; 16], port: u32| SocketAddr::from((Ipv6Addr::from(addr), u16::from_be(port as u16)));
        rows.iter()
            .map(|r| (end(r.ucLocalAddr, r.dwLocalPort), end(r.ucRemoteAddr, r.dwRemotePort), r.dwOwningPid))
            .collect()
    }

    pub(super) fn open_process(pid: u32) -> Option<Owned> {
        // SAFETY: plain call; a null handle means refused or gone.
        let handle = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
        (!handle.is_null()).then_some(Owned(handle))
    }

    /// The bytes of the `TOKEN_USER` of a process's token (its SID points inside them).
    pub(super) fn user_of_process(process: HANDLE) -> Option<Vec<u64>> {
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: `token` receives a handle we own and close through `Owned`.
        if unsafe { OpenProcessToken(process, TOKEN_QUERY, &mut token) } == 0 {
            return None;
        }
        let token = Owned(token);
        let mut len = 0u32;
        // SAFETY: the first call only reports the length needed.
        unsafe { GetTokenInformation(token.0, TokenUser, std::ptr::null_mut(), 0, &mut len) };
        let mut buf = vec![0u64; len as usize / 8 + 1];
        let cap = (buf.len() * 8) as u32;
        // SAFETY: the call writes at most `cap` bytes into `buf`.
        let ok = unsafe { GetTokenInformation(token.0, TokenUser, buf.as_mut_ptr().cast(), cap, &mut len) };
        (ok != 0).then_some(buf)
    }

    pub(super) fn same_sid(a: &[u64], b: &[u64]) -> bool {
        // SAFETY: both buffers hold a TOKEN_USER filled by GetTokenInformation.
        unsafe {
            let (a, b) = (&*(a.as_ptr() as *const TOKEN_USER), &*(b.as_ptr() as *const TOKEN_USER));
            EqualSid(a.User.Sid, b.User.Sid) != 0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_with_both_ends_names_the_process() {
        let (client, hub): (SocketAddr, SocketAddr) =
            ("127.0.0.1:51234".parse().unwrap(), "127.0.0.1:8787".parse().unwrap());
        let rows = [(hub, client, 10), (client, hub, 20), ("127.0.0.1:1".parse().unwrap(), hub, 30)];
        assert_eq!(owner_pid(&rows, client, hub), Some(20));
        assert_eq!(owner_pid(&rows, client, "127.0.0.1:9".parse().unwrap()), None);
    }
}
