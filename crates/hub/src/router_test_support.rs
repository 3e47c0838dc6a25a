//! What the in-process router tests (`rpc/router_tests.rs`, `relay/router_tests.rs`)
//! share: a request as the listener hands it on (a loopback peer, a loopback `Host`), and
//! a router's answer read back without ports (`tower::ServiceExt::oneshot`).

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use std::net::SocketAddr;
use tower::ServiceExt;

/// A request from a loopback peer to `host`; `headers` are added as given.
pub(crate) fn loopback_request(
    method: &str,
    path: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path).header("host", host);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut request = builder.body(body).unwrap();
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
    request
}

/// `router`'s answer to `request`: its status, headers and JSON body (`Null` if none).
pub(crate) async fn answer(router: Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = router.oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}
