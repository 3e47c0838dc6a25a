//! The CDP router's rules, run natively and in headless Chromium.

use extension::router::{After, Debuggee, Plan, Router, Tab, FLAT_SESSIONS_REQUIRED};
use pairing::wire::{CdpCommand, CdpId};
use serde_json::{json, Value};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

macro_rules! rule {
    (fn $name:ident() $body:block) => {
        #[cfg_attr(not(target_arch = "wasm32"), test)]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn $name() $body
    };
}

fn cmd(method: &str, params: Value, session: Option<&str>) -> CdpCommand {
    CdpCommand { id: CdpId::Num(1), method: method.into(), params: Some(params), session_id: session.map(Into::into) }
}

fn methods(router: &mut Router) -> Vec<String> {
    router.take_events().into_iter().map(|e| e.method).collect()
}

fn two_tabs() -> Router {
    let mut r = Router::new();
    r.tab_attached(7, "T7", "http://127.0.0.1/a", "A");
    r.tab_attached(9, "T9", "http://127.0.0.1/b", "B");
    r
}

rule! { fn commands_without_a_session_go_to_the_primary_tab() {
    let mut r = two_tabs();
    let plan = r.plan(&cmd("Runtime.evaluate", json!({"expression": "1+1"}), None), "UA");
    assert_eq!(plan, Plan::Send { debuggee: Debuggee { tab_id: 9, session_id: None }, method: "Runtime.evaluate".into(),
        params: json!({"expression": "1+1"}), after: After::Nothing });
}}

rule! { fn root_sessions_route_to_their_tab_and_unknown_sessions_are_errors() {
    let mut r = two_tabs();
    let first = r.session_of(7).unwrap().to_owned();
    assert!(matches!(r.plan(&cmd("DOM.enable", json!({}), Some(&first)), "UA"),
        Plan::Send { debuggee: Debuggee { tab_id: 7, session_id: None }, .. }));
    assert_eq!(r.plan(&cmd("DOM.enable", json!({}), Some("nope")), "UA"), Plan::Reply(Err("Unknown sessionId: nope".into())));
}}

rule! { fn no_attached_tab_asks_the_driver_to_attach_the_active_one() {
    let mut r = Router::new();
    assert_eq!(r.plan(&cmd("Page.navigate", json!({}), None), "UA"), Plan::AttachActiveThenRetry);
}}

rule! { fn auto_attach_announces_every_tab_once_and_child_targets_are_requested() {
    let mut r = two_tabs();
    let plan = r.plan(&cmd("Target.setAutoAttach", json!({"autoAttach": true, "flatten": true}), None), "UA");
    assert_eq!(plan, Plan::Reply(Ok(json!({}))));
    let events = r.take_events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].params.as_ref().unwrap()["targetInfo"]["targetId"], "T7", "Chrome's own target id");
    assert_eq!(events[0].params.as_ref().unwrap()["sessionId"], r.session_of(7).unwrap());
    assert_eq!(r.take_side_commands().len(), 2, "setAutoAttach sent to each tab for its iframes and workers");
    r.plan(&cmd("Target.setAutoAttach", json!({"autoAttach": true, "flatten": true}), None), "UA");
    assert!(r.take_events().is_empty(), "no second announcement");
    r.tab_attached(11, "T11", "http://x/", "C");
    assert_eq!(methods(&mut r), vec!["Target.attachedToTarget"], "later tabs are announced too");
}}

rule! { fn non_flat_sessions_are_refused() {
    let mut r = two_tabs();
    let plan = r.plan(&cmd("Target.setAutoAttach", json!({"autoAttach": true, "flatten": false}), None), "UA");
    assert_eq!(plan, Plan::Reply(Err(FLAT_SESSIONS_REQUIRED.into())));
}}

rule! { fn child_sessions_register_from_events_and_route_with_their_session() {
    let mut r = two_tabs();
    let ev = r.debugger_event(7, None, "Target.attachedToTarget", json!({"sessionId": "CHILD", "targetInfo": {"type": "iframe"}})).unwrap();
    assert_eq!(ev.session_id.as_deref(), r.session_of(7), "child announced under its parent session");
    assert_eq!(r.plan(&cmd("Runtime.enable", json!({}), Some("CHILD")), "UA"), Plan::Send {
        debuggee: Debuggee { tab_id: 7, session_id: Some("CHILD".into()) }, method: "Runtime.enable".into(),
        params: json!({}), after: After::Nothing });
    let ev = r.debugger_event(7, Some("CHILD"), "Runtime.consoleAPICalled", json!({})).unwrap();
    assert_eq!(ev.session_id.as_deref(), Some("CHILD"));
    r.debugger_event(7, None, "Target.detachedFromTarget", json!({"sessionId": "CHILD"}));
    assert!(matches!(r.plan(&cmd("Runtime.enable", json!({}), Some("CHILD")), "UA"), Plan::Reply(Err(_))));
    assert!(r.debugger_event(99, None, "Page.loadEventFired", json!({})).is_none(), "events of unknown tabs are dropped");
}}

rule! { fn target_commands_map_to_tab_operations() {
    let mut r = two_tabs();
    assert_eq!(r.plan(&cmd("Target.createTarget", json!({"url": "http://x/"}), None), "UA"),
        Plan::CreateTab { url: "http://x/".into(), background: false });
    assert_eq!(r.plan(&cmd("Target.closeTarget", json!({"targetId": "T7"}), None), "UA"), Plan::CloseTab(7));
    assert_eq!(r.plan(&cmd("Target.closeTarget", json!({"targetId": "tab-7"}), None), "UA"), Plan::CloseTab(7),
        "tab-<id> stays an alias");
    assert_eq!(r.plan(&cmd("Target.activateTarget", json!({"targetId": "T9"}), None), "UA"), Plan::ActivateTab(9));
    assert_eq!(r.plan(&cmd("Target.closeTarget", json!({}), None), "UA"), Plan::Reply(Err("Missing targetId".into())));
    assert_eq!(r.plan(&cmd("Target.closeTarget", json!({"targetId": "tab-1"}), None), "UA"),
        Plan::Reply(Err("Target not found: tab-1".into())));
    assert_eq!(r.plan(&cmd("Target.attachToTarget", json!({"targetId": "tab-3"}), None), "UA"), Plan::AttachTab(3));
    let session = r.session_of(9).unwrap().to_owned();
    assert_eq!(r.plan(&cmd("Target.attachToTarget", json!({"targetId": "T9"}), None), "UA"),
        Plan::Reply(Ok(json!({"sessionId": session}))));
    assert!(matches!(r.plan(&cmd("Target.attachToTarget", json!({"targetId": "WORKER1"}), None), "UA"),
        Plan::Send { after: After::RegisterChild(9), .. }));
}}

rule! { fn closing_a_tab_emits_detach_and_destroy_and_moves_the_primary() {
    let mut r = two_tabs();
    r.plan(&cmd("Target.setDiscoverTargets", json!({"discover": true}), None), "UA");
    assert_eq!(methods(&mut r), vec!["Target.targetCreated", "Target.targetCreated"]);
    r.plan(&cmd("Target.setAutoAttach", json!({"autoAttach": true, "flatten": true}), None), "UA");
    r.take_events();
    r.tab_detached(9);
    assert_eq!(methods(&mut r), vec!["Target.detachedFromTarget", "Target.targetDestroyed"]);
    assert_eq!(r.primary_tab(), Some(7));
    assert_eq!(r.attached_tabs(), vec![7], "a closed tab is forgotten");
}}

rule! { fn a_new_client_gets_fresh_announcements() {
    let mut r = two_tabs();
    r.plan(&cmd("Target.setAutoAttach", json!({"autoAttach": true, "flatten": true}), None), "UA");
    r.take_events();
    r.client_closed();
    r.plan(&cmd("Target.setAutoAttach", json!({"autoAttach": true, "flatten": true}), None), "UA");
    assert_eq!(methods(&mut r).len(), 2);
}}

rule! { fn browser_level_commands_are_answered_locally() {
    let mut r = Router::new();
    let Plan::Reply(Ok(v)) = r.plan(&cmd("Browser.getVersion", json!({}), None), "TestUA") else { panic!() };
    assert_eq!((v["userAgent"].as_str(), v["product"].as_str()), (Some("TestUA"), Some("Chrome")));
    let ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
    let Plan::Reply(Ok(v)) = r.plan(&cmd("Browser.getVersion", json!({}), None), ua) else { panic!() };
    assert_eq!(v["product"], "HeadlessChrome/156.0.0.0", "the product as Chrome names it");
    assert_eq!(r.plan(&cmd("Target.getTargets", json!({}), None), "UA"), Plan::ListTabs);
}}

rule! { fn target_list_shows_every_tab_and_which_are_attached() {
    use extension::router::Tab;
    let mut r = Router::new();
    r.tab_attached(4, "T4", "http://x/", "X");
    let tab = |id: i64, url: &str, title: &str| Tab { id, target_id: format!("T{id}"), url: url.into(), title: title.into() };
    let tabs = vec![tab(9, "http://y/", "Y"), tab(4, "http://x/", "X")];
    let v = r.target_infos(&tabs);
    let infos = v["targetInfos"].as_array().unwrap();
    assert_eq!(infos.len(), 2);
    assert_eq!((infos[0]["targetId"].as_str(), infos[0]["attached"].as_bool()), (Some("T9"), Some(false)));
    assert_eq!((infos[1]["targetId"].as_str(), infos[1]["attached"].as_bool()), (Some("T4"), Some(true)));
    assert_eq!(r.plan(&cmd("Target.attachToTarget", json!({"targetId": "T9"}), None), "UA"), Plan::AttachTab(9),
        "an unattached tab from the list can be attached by Chrome's target id");
}}

rule! { fn connect_time_browser_methods_are_answered_not_refused() {
    let mut r = two_tabs();
    let Plan::Reply(Ok(v)) = r.plan(&cmd("Target.attachToBrowserTarget", json!({}), None), "UA") else { panic!() };
    let browser = v["sessionId"].as_str().unwrap().to_owned();
    let Plan::Reply(Ok(v)) = r.plan(&cmd("Target.getTargetInfo", json!({}), Some(&browser)), "UA") else { panic!() };
    assert_eq!((v["targetInfo"]["type"].as_str(), v["targetInfo"]["attached"].as_bool()), (Some("browser"), Some(true)));
    let root = r.session_of(7).unwrap().to_owned();
    let Plan::Reply(Ok(v)) = r.plan(&cmd("Target.getTargetInfo", json!({}), Some(&root)), "UA") else { panic!() };
    assert_eq!(v["targetInfo"]["targetId"], "T7", "a tab session's own target");
    let Plan::Reply(Ok(v)) = r.plan(&cmd("Target.getTargetInfo", json!({"targetId": "T9"}), None), "UA") else { panic!() };
    assert_eq!(v["targetInfo"]["url"], "http://127.0.0.1/b");
    assert!(matches!(r.plan(&cmd("Target.getBrowserContexts", json!({}), None), "UA"), Plan::Reply(Ok(_))));
    assert!(matches!(r.plan(&cmd("Runtime.evaluate", json!({}), Some(&browser)), "UA"),
        Plan::Send { debuggee: Debuggee { tab_id: 9, session_id: None }, .. }), "the browser session is browser-level");
}}

rule! { fn auto_attach_with_no_tab_asks_for_the_active_one_first() {
    let mut r = Router::new();
    let on = cmd("Target.setAutoAttach", json!({"autoAttach": true, "flatten": true}), None);
    assert!(r.wants_a_tab(&on));
    assert!(!r.wants_a_tab(&cmd("Target.setAutoAttach", json!({"autoAttach": false}), None)));
    r.tab_attached(3, "T3", "http://x/", "X");
    assert!(!r.wants_a_tab(&on), "a tab is attached already");
}}

rule! { fn a_session_handed_out_hears_its_detach_and_the_tab_can_be_attached_again_by_id() {
    let mut r = two_tabs();
    let Plan::Reply(Ok(v)) = r.plan(&cmd("Target.attachToTarget", json!({"targetId": "T7", "flatten": true}), None), "UA")
    else { panic!() };
    let session = v["sessionId"].clone();
    r.tab_detached(7);
    let events = r.take_events();
    assert_eq!(events.iter().map(|e| e.method.as_str()).collect::<Vec<_>>(), vec!["Target.detachedFromTarget"]);
    assert_eq!(events[0].params.as_ref().unwrap()["sessionId"], session);
    assert_eq!(r.plan(&cmd("Target.attachToTarget", json!({"targetId": "T7", "flatten": true}), None), "UA"),
        Plan::AttachTab(7));
    r.tab_detached(9);
    assert!(r.take_events().is_empty(), "nobody held tab 9's session: nothing to tell");
}}

rule! { fn downloads_become_browser_download_events_once_asked_for() {
    use extension::router::DownloadItem;
    let mut r = Router::new();
    let item: DownloadItem = serde_json::from_value(json!({"id": 4, "url": "http://x/files/report.csv?v=2",
        "filename": "", "state": "in_progress", "bytesReceived": 0, "totalBytes": 11})).unwrap();
    assert!(r.download_created(&item).is_none(), "nobody asked for download events");
    let on = cmd("Browser.setDownloadBehavior", json!({"behavior": "allowAndName", "eventsEnabled": true}), None);
    assert_eq!(r.plan(&on, "UA"), Plan::Reply(Ok(json!({}))));
    let begin = r.download_created(&item).unwrap();
    assert_eq!(begin.method, "Browser.downloadWillBegin");
    let p = begin.params.unwrap();
    assert_eq!((p["guid"].as_str(), p["suggestedFilename"].as_str()), (Some("chrome-download-4"), Some("report.csv")));
    let done: DownloadItem = serde_json::from_value(json!({"id": 4, "url": "http://x/files/report.csv",
        "filename": "/home/u/Downloads/report (1).csv", "state": "complete", "bytesReceived": 11, "totalBytes": 11})).unwrap();
    let progress = r.download_changed(&done).unwrap().params.unwrap();
    assert_eq!((progress["state"].as_str(), progress["filePath"].as_str()), (Some("completed"), Some("/home/u/Downloads/report (1).csv")));
    let off = cmd("Browser.setDownloadBehavior", json!({"behavior": "deny"}), None);
    r.plan(&off, "UA");
    assert!(r.download_changed(&done).is_none());
}}

rule! { fn the_hubs_tab_group_requests_name_tabs_by_target_and_skip_gone_ones() {
    let mut r = two_tabs();
    let group = cmd("Extension.groupTabs", json!({"targetIds": ["T7", "T9", "GONE"], "title": "agent-a", "color": "blue"}), None);
    assert_eq!(r.plan(&group, "UA"), Plan::GroupTabs { tabs: vec![7, 9], title: "agent-a".into(), color: "blue".into() });
    assert_eq!(r.plan(&cmd("Extension.ungroupTabs", json!({"targetIds": ["T9"]}), None), "UA"), Plan::UngroupTabs(vec![9]));
    assert_eq!(r.plan(&cmd("Extension.ungroupTabs", json!({}), None), "UA"), Plan::UngroupTabs(vec![]));
}}

rule! { fn a_restarted_worker_never_reuses_the_session_names_of_the_last_one() {
    let mut earlier = Router::numbering_from(1_000);
    earlier.tab_attached(3, "T3", "http://a/", "a");
    let mut later = Router::numbering_from(5_000);
    later.tab_attached(4, "T4", "http://b/", "b");
    let old = earlier.session_of(3).unwrap().to_owned();
    assert_eq!(old, "pw-tab-1001");
    assert_eq!(later.plan(&cmd("Page.navigate", json!({}), Some(&old)), "UA"),
        Plan::Reply(Err(format!("Unknown sessionId: {old}"))), "the hub's old session is unknown, not another tab");
    assert!(later.knows_target("T4") && !later.knows_target("T3"), "T3 must be listed before it can be attached");
    later.target_infos(&[Tab { id: 3, target_id: "T3".into(), url: "http://a/".into(), title: "a".into() }]);
    assert_eq!(later.plan(&cmd("Target.attachToTarget", json!({"targetId": "T3"}), None), "UA"), Plan::AttachTab(3));
}}

rule! { fn the_hubs_tidy_request_lists_the_tabs_to_keep() {
    let mut r = Router::new();
    assert_eq!(r.plan(&cmd("Extension.tidyAgentTabs", json!({"keep": ["T1", 7, "T2"]}), None), "UA"),
        Plan::TidyAgentTabs { keep: vec!["T1".into(), "T2".into()] });
    assert_eq!(r.plan(&cmd("Extension.tidyAgentTabs", json!({}), None), "UA"), Plan::TidyAgentTabs { keep: vec![] });
}}
