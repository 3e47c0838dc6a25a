//! A small multi-page test site on 127.0.0.1.

use axum::response::Html;
use axum::routing::get;

/// A running site; `url(path)` gives its pages.
pub struct Site {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const HOME: &str = r#"<!doctype html><html><head><title>E2E Page</title></head>
<body><h1>Home</h1><a href="/second">second</a><script>window.answer = 42;</script></body></html>"#;
const SECOND: &str =
    r#"<!doctype html><html><head><title>Second Page</title></head><body><h1>Second</h1></body></html>"#;

impl Site {
    /// Serves `/` and `/second` on a free port.
    pub async fn start() -> Site {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new()
            .route("/", get(|| async { Html(HOME) }))
            .route("/second", get(|| async { Html(SECOND) }));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Site { port, task }
    }

    /// `http://127.0.0.1:<port><path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}
