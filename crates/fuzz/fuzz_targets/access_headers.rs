//! Who gets in: the kernel TCP table parse (`access::same_user::linux::owner_in_table`), the macOS
//! socket record (`access::same_user::macos::ends_of_socket`) and the
//! `Origin`/`Host`/`Authorization` rules (`access::AccessPolicy`) on any input. Never a
//! panic; a pairing request is admitted only with an allowed extension origin or the exact
//! relay token; a found owner is a number written in the table.
#![no_main]
use hub::access::{AccessPolicy, Caller, Sensitivity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\u{1}');
    let (table, origin, auth, host) = (parts.next().unwrap_or(""), parts.next(), parts.next(), parts.next());

    let (a, b) = ("127.0.0.1:51234".parse().unwrap(), "127.0.0.1:8787".parse().unwrap());
    if let Some(uid) = hub::access::same_user::linux::owner_in_table(table, a, b) {
        assert!(table.contains(&uid.to_string()), "uid {uid} is not in the table");
    }
    // macOS: any bytes as a socket record; ends, if any, are internet addresses.
    if let Some((local, remote)) = hub::access::same_user::macos::ends_of_socket(data) {
        assert_eq!(local.is_ipv4(), remote.is_ipv4(), "one record, one address family");
    }

    let mut headers = axum::http::HeaderMap::new();
    for (name, value) in [("origin", origin), ("authorization", auth), ("host", host)] {
        if let Some(v) = value.and_then(|v| axum::http::HeaderValue::from_str(v).ok()) {
            headers.insert(name, v);
        }
    }
    let policy = AccessPolicy { allowed_extension_ids: vec!["allowedid".into()], relay_token: Some("tok".into()) };
    let peer = "127.0.0.1:4000".parse().unwrap();
    let _ = policy.check(peer, &headers, Sensitivity::Normal);
    if let Ok(caller) = policy.check(peer, &headers, Sensitivity::Pairing) {
        match caller {
            Caller::Extension(id) => assert!(policy.allows(&id), "{id} paired"),
            Caller::Local => {
                let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
                assert_eq!(bearer.strip_prefix("Bearer ").map(str::trim), Some("tok"), "paired without the token");
            }
        }
    }
});
