//! Finds which local process listens on a TCP port, so a "port in use" error can name it.
//! Linux reads `/proc`; macOS asks `lsof`; Windows asks `netstat -ano` and `tasklist`.
//! Best effort: `None` when the OS does not tell. Never kills anything. The parsers of
//! the tools' output are pure and tested on every platform.

/// `"<name> (pid <pid>)"` of the process listening on `port`, if it can be found.
pub fn describe_port_owner(port: u16) -> Option<String> {
    os::owner(port)
}

#[cfg(target_os = "macos")]
mod os {
    pub fn owner(port: u16) -> Option<String> {
        super::lsof_owner(&super::run("lsof", &["-nP", &format!("-iTCP:{port}"), "-sTCP:LISTEN", "-Fpc"])?)
    }
}

#[cfg(windows)]
mod os {
    pub fn owner(port: u16) -> Option<String> {
        let pid = super::netstat_listener(&super::run("netstat", &["-ano", "-p", "TCP"])?, port)?;
        let filter = format!("PID eq {pid}");
        let name =
            super::run("tasklist", &["/FI", &filter, "/FO", "CSV", "/NH"]).and_then(|t| super::tasklist_name(&t));
        Some(format!("{} (pid {pid})", name.as_deref().unwrap_or("unknown")))
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
mod os {
    pub fn owner(_port: u16) -> Option<String> {
        None
    }
}

/// What `program args` printed, if it ran and succeeded.
#[cfg(any(target_os = "macos", windows))]
fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The owner in `lsof -Fpc` output: a `p<pid>` line, then its `c<command>` line.
pub fn lsof_owner(text: &str) -> Option<String> {
    let pid = text.lines().find_map(|l| l.strip_prefix('p'))?;
    let name = text.lines().find_map(|l| l.strip_prefix('c')).unwrap_or("unknown");
    Some(format!("{name} (pid {pid})"))
}

/// The pid listening on `port` in `netstat -ano` output
/// (`  TCP    127.0.0.1:8787    0.0.0.0:0    LISTENING    1234`).
pub fn netstat_listener(text: &str, port: u16) -> Option<u32> {
    text.lines().find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [proto, local, _remote, state, pid] = cols[..] else {
            return None;
        };
        let local_port = local.rsplit(':').next()?.parse::<u16>().ok()?;
        (proto == "TCP" && state == "LISTENING" && local_port == port).then(|| pid.parse().ok()).flatten()
    })
}

/// The image name in `tasklist /FO CSV /NH` output (`"node.exe","1234",…`).
pub fn tasklist_name(text: &str) -> Option<String> {
    let first = text.lines().next()?.strip_prefix('"')?;
    let name = first.split('"').next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(target_os = "linux")]
mod os {
    /// The process holding the listening socket of `port` (socket inode → `/proc/*/fd`).
    pub fn owner(port: u16) -> Option<String> {
        let inode = listening_inode(port)?;
        let needle = format!("socket:[{inode}]");
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let pid = entry.file_name().to_string_lossy().to_string();
            if !pid.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
                continue;
            };
            let owns =
                fds.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy() == needle));
            if owns {
                let name = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
                return Some(format!("{} (pid {pid})", name.trim()));
            }
        }
        None
    }

    fn listening_inode(port: u16) -> Option<String> {
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let Ok(text) = std::fs::read_to_string(table) else {
                continue;
            };
            for line in text.lines().skip(1) {
                let cols: Vec<&str> = line.split_whitespace().collect();
                let (Some(local), Some(state), Some(inode)) = (cols.get(1), cols.get(3), cols.get(9)) else {
                    continue;
                };
                let local_port = local.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
                if *state == "0A" && local_port == Some(port) {
                    return Some((*inode).to_owned());
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(target_os = "linux", target_os = "macos"))]
    #[test]
    fn names_this_process_as_the_owner_of_its_listener() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let owner = describe_port_owner(port).expect("owner found");
        assert!(owner.contains(&format!("pid {}", std::process::id())), "{owner}");
    }

    #[test]
    fn reads_the_owner_from_lsof_field_output() {
        assert_eq!(lsof_owner("p4242\ncnode\nf23\n").as_deref(), Some("node (pid 4242)"));
        assert_eq!(lsof_owner(""), None);
    }

    #[test]
    fn finds_the_listening_pid_in_netstat_output_and_skips_other_ports_and_states() {
        let text = "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  \
            TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1000\r\n  \
            TCP    127.0.0.1:8787         127.0.0.1:50000        ESTABLISHED     7\r\n  \
            TCP    127.0.0.1:8787         0.0.0.0:0              LISTENING       5150\r\n  \
            TCP    [::1]:8788             [::]:0                 LISTENING       6000\r\n";
        assert_eq!(netstat_listener(text, 8787), Some(5150));
        assert_eq!(netstat_listener(text, 8788), Some(6000));
        assert_eq!(netstat_listener(text, 9999), None);
    }

    #[test]
    fn reads_the_image_name_from_tasklist_csv() {
        assert_eq!(
            tasklist_name("\"node.exe\",\"5150\",\"Console\",\"1\",\"40,000 K\"\r\n").as_deref(),
            Some("node.exe")
        );
        assert_eq!(tasklist_name("INFO: No tasks are running which match the specified criteria.\r\n"), None);
    }
}
