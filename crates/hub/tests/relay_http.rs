//! The relay's HTTP endpoints: shapes, origin and host rules, CORS, strict mode.

mod common;
use common::*;

#[tokio::test]
async fn config_reports_relay_port_identity_and_pairing() {
    let hub = TestHub::start().await;
    let (status, headers, body) = get(&hub.relay_url("/config"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["relayPort"], hub.relay_port());
    assert_eq!(body["pairingRequired"], true);
    assert_eq!(body["instanceId"], hub.hub.core().relay().instance_id());
    assert!(body["epoch"].as_i64().unwrap() > 0);
    assert!(body.get("discoveryPort").is_some());
}

#[tokio::test]
async fn pair_returns_the_persisted_token_and_the_same_instance() {
    let hub = TestHub::start().await;
    let (_, _, config) = get(&hub.relay_url("/config"), &[]).await;
    let (status, _, pair) = get(&hub.relay_url("/pair"), &[("origin", EXT_ORIGIN)]).await;
    assert_eq!(status, 200);
    assert_eq!(pair["token"], hub.token());
    assert_eq!(pair["instanceId"], config["instanceId"]);
    assert_eq!(pair["epoch"], config["epoch"]);
}

#[tokio::test]
async fn status_shows_hub_and_relay_identity_without_the_token() {
    let hub = TestHub::start().await;
    let (_, _, body) = get(&hub.relay_url("/status"), &[]).await;
    assert_eq!(body["hubInstanceId"], hub.hub.core().instance_id());
    assert_eq!(body["instanceId"], hub.hub.core().relay().instance_id());
    assert_eq!(body["extensionConnected"], false);
    assert_eq!(body["extensionHandshakeComplete"], false);
    assert_eq!(body["cdpConnected"], false);
    assert!(!body.to_string().contains(&hub.token()));
}

#[tokio::test]
async fn web_origins_get_403_on_every_endpoint() {
    let hub = TestHub::start().await;
    for path in ["/config", "/status", "/pair"] {
        let (status, _, body) = get(&hub.relay_url(path), &[("origin", "https://evil.example")]).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(body["error"], "Forbidden: extension origin required");
        assert_eq!(body["code"], "origin_forbidden");
    }
    assert_eq!(ws_connect(&hub.ws_url("/extension"), Some("https://evil.example")).await.unwrap_err(), 403);
}

#[tokio::test]
async fn non_loopback_host_header_is_refused() {
    let hub = TestHub::start().await;
    let (status, _, body) = get(&hub.relay_url("/pair"), &[("host", "attacker.example:8787")]).await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "host_forbidden");
}

#[tokio::test]
async fn extension_origin_gets_cors_headers_and_preflight_is_answered() {
    let hub = TestHub::start().await;
    let (status, headers, _) = get(&hub.relay_url("/config"), &[("origin", EXT_ORIGIN)]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], EXT_ORIGIN);
    for path in ["/config", "/status", "/pair"] {
        let (status, headers, _) = request(
            reqwest::Method::OPTIONS,
            &hub.relay_url(path),
            &[("origin", EXT_ORIGIN), ("access-control-request-method", "GET")],
        )
        .await;
        assert_eq!(status, 204, "{path}");
        assert_eq!(headers["access-control-allow-origin"], EXT_ORIGIN);
        assert_eq!(headers["access-control-allow-methods"], "GET, OPTIONS");
    }
}

#[tokio::test]
async fn unknown_path_is_404_with_a_hint() {
    let hub = TestHub::start().await;
    let (status, _, body) = get(&hub.relay_url("/nope"), &[]).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "not_found");
    assert!(body["error"].as_str().unwrap().contains("/config"));
}

#[tokio::test]
async fn only_our_extension_and_the_allowed_ids_pair() {
    let hub = TestHub::start_with(|config| {
        std::fs::write(config.join("hub.json"), r#"{"relayToken":"tok","allowedExtensionIds":["pinnedid"]}"#).unwrap();
    })
    .await;
    let stranger = "chrome-extension://aaaabbbbccccddddeeeeffffgggghhhh";
    let (status, _, body) = get(&hub.relay_url("/pair"), &[("origin", stranger)]).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("extension_not_allowed")), "{body}");
    assert_eq!(ws_connect(&hub.ws_url("/extension"), Some(stranger)).await.unwrap_err(), 403);
    for allowed in [EXT_ORIGIN, "chrome-extension://pinnedid"] {
        let (status, _, body) = get(&hub.relay_url("/pair"), &[("origin", allowed)]).await;
        assert_eq!((status, body["token"].as_str()), (200, Some("tok")), "{allowed}");
    }
    assert!(ws_connect(&hub.ws_url("/extension"), Some("chrome-extension://pinnedid")).await.is_ok());
    let (status, _, _) = get(&hub.relay_url("/config"), &[("origin", stranger)]).await;
    assert_eq!(status, 200, "/config is not pinned");

    // A local program without an Origin needs the relay token.
    let (status, _, body) = get(&hub.relay_url("/pair"), &[]).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("origin_required")), "{body}");
    assert_eq!(ws_connect(&hub.ws_url("/extension"), None).await.unwrap_err(), 403);
    let (status, _, body) = get(&hub.relay_url("/pair"), &[("authorization", "Bearer tok")]).await;
    assert_eq!((status, body["token"].as_str()), (200, Some("tok")));
}

#[tokio::test]
async fn pairing_token_file_is_private() {
    let hub = TestHub::start().await;
    let path = hub.dirs.path().join("config/hub.json");
    assert_eq!(opendevbrowser_api::files::file_mode(&path).unwrap(), 0o600);
    let meta = hub.hub.metadata_path();
    assert_eq!(opendevbrowser_api::files::file_mode(meta).unwrap(), 0o600);
}
