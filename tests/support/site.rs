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
const FORM: &str = r#"<!doctype html><html><head><title>Form</title></head><body>
<h1>Sign up</h1>
<form action="/result" method="get">
  <label for="name">Name</label> <input id="name" name="name">
  <label for="color">Color</label>
  <select id="color" name="color"><option value="red">Red</option><option value="blue">Blue</option></select>
  <label><input type="checkbox" name="agree" value="yes"> I agree</label>
  <button type="submit" style="width:120px;height:40px">Send</button>
</form>
<button style="display:none">Hidden</button>
<script>console.log('form ready');</script>
</body></html>"#;

const FRAMED: &str = r#"<!doctype html><html><head><title>Framed</title></head><body>
<h1>Frames</h1>
<iframe src="/inner" title="Inner frame" style="width:400px;height:200px;border:5px solid #888;margin:20px"></iframe>
<iframe src="data:text/html,<p>elsewhere</p>" title="Elsewhere" style="width:200px;height:50px"></iframe>
</body></html>"#;
const INNER: &str = r#"<!doctype html><html><head><title>Inner</title></head><body>
<input id="word" aria-label="Word">
<button style="width:100px;height:30px" onclick="document.getElementById('said').textContent =
  'inner clicked:' + document.getElementById('word').value">Inner button</button>
<p id="said"></p>
</body></html>"#;

const LATE: &str = r#"<!doctype html><html><head><title>Late</title></head><body>
<p id="late">waiting</p>
<script>fetch('/data').then(r => r.text()).then(t => { document.getElementById('late').textContent = t; });</script>
</body></html>"#;

const SECOND: &str =
    r#"<!doctype html><html><head><title>Second Page</title></head><body><h1>Second</h1></body></html>"#;

async fn result(
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Html<String> {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let line = format!("name={};color={};agree={}", get("name"), get("color"), get("agree"));
    Html(format!("<!doctype html><html><head><title>Result</title></head><body><p id=\"out\">{line}</p></body></html>"))
}

async fn echo(headers: axum::http::HeaderMap, body: String) -> impl axum::response::IntoResponse {
    let client = headers.get("x-client").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let reply = [("content-type", "application/json"), ("x-server", "odb-site"), ("set-cookie", "session=abc; Path=/")];
    (reply, crate::pages::echo(client, &body))
}

impl Site {
    /// Serves the pages (`/`, `/second`, `/form`, `/result`, `/framed` + `/inner`, `/late` + `/data`, `/slow`,
    /// `/observe` + `/observe.js` + `/api/echo`, `/big`,
    /// and those of [`crate::pages`]) on a free port.
    pub async fn start() -> Site {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new()
            .route("/", get(|| async { Html(HOME) }))
            .route("/second", get(|| async { Html(SECOND) }))
            .route("/form", get(|| async { Html(FORM) }))
            .route("/framed", get(|| async { Html(FRAMED) }))
            .route("/inner", get(|| async { Html(INNER) }))
            .route("/late", get(|| async { Html(LATE) }))
            .route(
                "/data",
                get(|| async {
                    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                    "late data"
                }),
            )
            .route("/result", get(result))
            .route("/dialogs", get(|| async { Html(crate::pages::DIALOGS) }))
            .route("/input", get(|| async { Html(crate::pages::INPUT) }))
            .route("/forms", get(|| async { Html(crate::pages::FORMS) }))
            .route("/download", get(|| async { Html(crate::pages::DOWNLOAD) }))
            .route("/widget", get(|| async { Html(crate::pages::WIDGET) }))
            .route("/login", get(|| async { Html(crate::pages::LOGIN) }))
            .route("/typing", get(|| async { Html(crate::input_pages::TYPING) }))
            .route("/settle", get(|| async { Html(crate::input_pages::SETTLE) }))
            .route("/truth", get(|| async { Html(crate::truth_pages::TRUTH) }))
            .route("/bench-input", get(|| async { Html(crate::bench_pages::BENCH_INPUT) }))
            .route("/waits", get(|| async { Html(crate::pages::WAITS) }))
            .route("/reads", get(|| async { Html(crate::pages::READS) }))
            .route("/observe", get(|| async { Html(crate::pages::OBSERVE) }))
            .route("/big", get(|| async { Html(crate::pages::big_page()) }))
            .route("/observe.js", get(|| async { ([("content-type", "text/javascript")], crate::pages::OBSERVE_JS) }))
            .route("/api/echo", axum::routing::post(echo))
            .route(
                "/crossframe",
                get(|q: axum::extract::Query<std::collections::HashMap<String, String>>| async move {
                    Html(crate::pages::crossframe(q.get("other").map_or("0", String::as_str)))
                }),
            )
            .route(
                "/welcome",
                get(|q: axum::extract::Query<std::collections::HashMap<String, String>>| async move {
                    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
                    Html(crate::pages::welcome(&get("user"), &get("password")))
                }),
            )
            .route(
                "/report.csv",
                get(|| async {
                    let headers =
                        [("content-type", "text/csv"), ("content-disposition", "attachment; filename=\"report.csv\"")];
                    (headers, crate::pages::REPORT_CSV)
                }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    Html(SECOND)
                }),
            );
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
