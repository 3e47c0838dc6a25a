//! A site with a login, for the tests of sessions that remember (tests/storage_e2e.rs).
//! It is its own witness: it records what each request carried (the HttpOnly session
//! cookie, the localStorage item the page reads back), so a test learns who is logged in
//! from the site, not from the hub.
//!
//! `/account/login?user=U` sets `sid=U-token` (HttpOnly, 1 day) and, from its script,
//! localStorage `theme=U-dark`. `/account?by=B` records `account by=B sid=U` and its script
//! reports `seen by=B theme=T` through `/account/seen`.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The running site and what it saw.
pub struct AccountSite {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for AccountSite {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Seen = Arc<Mutex<Vec<String>>>;
type Q = Query<HashMap<String, String>>;

fn sid(headers: &HeaderMap) -> String {
    let cookies = headers.get("cookie").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let sid = cookies.split(';').find_map(|c| c.trim().strip_prefix("sid="));
    sid.and_then(|s| s.strip_suffix("-token")).unwrap_or("none").to_owned()
}

async fn login(Query(q): Q) -> impl axum::response::IntoResponse {
    let user = q.get("user").cloned().unwrap_or_default();
    let cookie = format!("sid={user}-token; Max-Age=86400; Path=/; HttpOnly; SameSite=Lax");
    let page = format!(
        "<!doctype html><title>Logged in</title><p>Logged in as {user}</p>\
         <script>localStorage.setItem('theme', '{user}-dark'); document.title = 'Welcome {user}';</script>"
    );
    ([("set-cookie", cookie)], Html(page))
}

async fn account(State(seen): State<Seen>, Query(q): Q, headers: HeaderMap) -> Html<String> {
    let (by, user) = (q.get("by").cloned().unwrap_or_default(), sid(&headers));
    seen.lock().unwrap().push(format!("account by={by} sid={user}"));
    Html(format!(
        "<!doctype html><title>Account</title><p>Signed in as {user}</p>\
         <script>fetch('/account/seen?by={by}&theme=' + encodeURIComponent(localStorage.getItem('theme') || 'none'))\
         .then(() => {{ document.body.dataset.seen = 'yes'; }});</script>"
    ))
}

async fn report(State(seen): State<Seen>, Query(q): Q, headers: HeaderMap) -> &'static str {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    seen.lock().unwrap().push(format!("seen by={} theme={} sid={}", get("by"), get("theme"), sid(&headers)));
    "ok"
}

impl AccountSite {
    /// Serves the site on a free port.
    pub async fn start() -> AccountSite {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Seen = Arc::default();
        let app = axum::Router::new()
            .route("/account/login", get(login))
            .route("/account", get(account))
            .route("/account/seen", get(report))
            .with_state(seen.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        AccountSite { port, seen, task }
    }

    /// `http://127.0.0.1:<port><path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits (up to 15 s) until the site has recorded `line` (see the module's doc).
    pub async fn wait_seen(&self, line: &str) {
        for _ in 0..150 {
            if self.seen.lock().unwrap().iter().any(|l| l == line) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the site never saw {line:?}; it saw {:?}", self.seen.lock().unwrap());
    }
}
