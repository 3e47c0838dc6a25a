//! A browser (or extension) that refuses what the hub asks: the caller sees the browser's
//! own answer, not a guess such as "the browser has no page", and nothing is left behind.

mod common;
use common::*;
use serde_json::json;
use sim::SimReply;

/// `session.launch` in extension mode, bound as instance `a`.
async fn launch_in_extension(hub: &TestHub) -> (u16, serde_json::Value) {
    let (_, bound) = hub.bind_as("a").await;
    let params = json!({"clientId": CLIENT, "instanceId": "a", "mode": "extension",
        "bindingId": bound["data"]["bindingId"]});
    hub.rpc("session.launch", params).await
}

#[tokio::test]
async fn launch_reports_the_browsers_refusal_to_attach() {
    let hub = TestHub::start().await;
    let _sim = hub
        .paired_sim_with(|cmd| match cmd.method.as_str() {
            "Target.getTargets" => SimReply::Result(json!({"targetInfos": [
                {"targetId": "T1", "type": "page", "title": "t", "url": "http://x.test/"}]})),
            "Target.attachToTarget" => SimReply::Error("Not allowed".into()),
            _ => SimReply::Result(json!({})),
        })
        .await;
    let (status, body) = launch_in_extension(&hub).await;
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert_eq!((status, body["error"]["code"].as_str()), (502, Some("launch_failed")), "{body}");
    assert!(message.contains("Target.attachToTarget") && message.contains("Not allowed"), "{message}");
    let (_, hub_status) = hub.rpc("hub.status", json!({})).await;
    assert_eq!(hub_status["data"]["browserSessions"], 0, "the failed session is not kept: {hub_status}");
}

#[tokio::test]
async fn a_page_that_vanished_is_skipped_not_reported() {
    let hub = TestHub::start().await;
    let _sim = hub
        .paired_sim_with(|cmd| match cmd.method.as_str() {
            "Target.getTargets" => SimReply::Result(json!({"targetInfos": [
                {"targetId": "GONE", "type": "page", "title": "t", "url": "http://x.test/"},
                {"targetId": "T2", "type": "page", "title": "t", "url": "http://x.test/"}]})),
            "Target.attachToTarget" if cmd.params.as_ref().is_some_and(|p| p["targetId"] == "GONE") => {
                SimReply::Error("No target with given id found".into())
            }
            "Target.attachToTarget" => SimReply::Result(json!({"sessionId": "S2"})),
            _ => SimReply::Result(json!({})),
        })
        .await;
    let (status, body) = launch_in_extension(&hub).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["activeTargetId"], "T2", "{body}");
}
