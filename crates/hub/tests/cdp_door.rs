//! One door at a time: a `/cdp` client holds the relay binding while connected. An agent
//! holding the binding keeps `/cdp` clients out (refused with the holder named), a
//! connected `/cdp` client keeps agents and tab agents out (`relay_busy` naming it), and
//! the binding is free again once the client's socket closes.

mod common;
use common::*;

fn cdp_url(hub: &TestHub) -> String {
    hub.ws_url(&format!("/cdp?token={}", hub.token()))
}

#[tokio::test]
async fn a_cdp_client_is_refused_while_an_agent_holds_the_binding() {
    let hub = TestHub::start().await;
    let (status, bound) = hub.bind_as("agent-x").await;
    assert_eq!(status, 200, "{bound}");
    let (status, _, body) = get(&hub.relay_url(&format!("/cdp?token={}", hub.token())), &[]).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("relay_busy")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("agent-x"), "the holder is named: {body}");
    assert_eq!(ws_connect(&cdp_url(&hub), None).await.unwrap_err(), 409);

    let release =
        serde_json::json!({"clientId": CLIENT, "instanceId": "agent-x", "bindingId": bound["data"]["bindingId"]});
    hub.rpc("relay.release", release).await;
    assert!(ws_connect(&cdp_url(&hub), None).await.is_ok(), "let in once the agent let go");
}

#[tokio::test]
async fn agents_get_relay_busy_naming_the_cdp_client_until_it_leaves() {
    let hub = TestHub::start().await;
    let _sim = hub.paired_sim().await;
    let client = ws_connect(&cdp_url(&hub), None).await.unwrap();
    let (status, refused) = hub.bind_as("agent-y").await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("relay_busy")), "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("cdp-client"), "{refused}");
    let tab = serde_json::json!({"clientId": CLIENT, "instanceId": "tab-agent", "mode": "extension", "scope": "tab"});
    let (_, refused) = hub.rpc("session.launch", tab).await;
    assert_eq!(refused["error"]["code"], "relay_busy", "a tab agent is kept out too: {refused}");
    let (_, status_body) = hub.rpc("hub.status", serde_json::json!({})).await;
    assert_eq!(status_body["data"]["binding"]["clientId"], "cdp-client", "{status_body}");

    drop(client);
    let (status, bound) = hub.bind_as("agent-y").await;
    let bound = if status == 200 {
        bound
    } else {
        // The hub sees the socket close a moment after the client drops it.
        let wait = serde_json::json!({"clientId": CLIENT, "instanceId": "agent-y", "timeoutMs": 10_000});
        hub.rpc("relay.wait", wait).await.1
    };
    assert_eq!(bound["ok"], true, "the binding is free once the client left: {bound}");
}
