//! A local web server that is its own witness: it records the head (request line and
//! headers) of every request that reaches it, so a test learns what the browser sent —
//! and what it never sent — from the server, not from the hub.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The running server.
pub struct Recorder {
    /// Its port on 127.0.0.1.
    pub port: u16,
    heads: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorder {
    /// Serves `page(path)` for every request (`.js`, `.css` and `.svg` paths as what they
    /// are, the rest as HTML; any origin may read it). A path with `delay=N` in its query
    /// is answered after N ms (a slow resource).
    pub async fn start(page: fn(&str) -> String) -> Recorder {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads: Arc<Mutex<Vec<String>>> = Arc::default();
        let record = heads.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                tokio::spawn(serve(socket, record.clone(), page));
            }
        });
        Recorder { port, heads, task }
    }

    /// `http://127.0.0.1:<port><path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every request head so far.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    /// Whether a request line contains `needle`.
    pub fn saw(&self, needle: &str) -> bool {
        self.heads().iter().any(|h| h.lines().next().unwrap_or_default().contains(needle))
    }

    /// Waits up to 15 s for a request whose request line contains `needle`; its head.
    pub async fn wait_for(&self, needle: &str) -> String {
        for _ in 0..150 {
            if let Some(head) = self.heads().into_iter().find(|h| h.lines().next().unwrap_or_default().contains(needle))
            {
                return head;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server never got {needle:?}; it got {:?}", self.heads());
    }
}

async fn serve(mut socket: tokio::net::TcpStream, record: Arc<Mutex<Vec<String>>>, page: fn(&str) -> String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16384];
    let n = socket.read(&mut buf).await.unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]).split("\r\n\r\n").next().unwrap_or_default().to_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    record.lock().unwrap().push(head);
    if let Some(ms) = delay_ms(&path) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let body = page(&path);
    let kind = match path.split('?').next().unwrap_or_default().rsplit('.').next() {
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        _ => "text/html",
    };
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\naccess-control-allow-origin: *\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(reply.as_bytes()).await;
}

/// N of a `delay=N` in `path`'s query.
fn delay_ms(path: &str) -> Option<u64> {
    let query = path.split_once('?')?.1;
    query.split('&').find_map(|pair| pair.strip_prefix("delay=")?.parse().ok())
}
