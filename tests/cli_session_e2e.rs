//! One scripted CLI session in the user's Chrome through the real extension, as a person
//! (or an agent with a shell) would type it: sign in to the local site, answer a confirm,
//! upload a file, download a report, drag a card, and clear a field with Control+A and
//! Backspace. Each step is a separate `opendevbrowser` process; the transcript is printed.

use serde_json::{json, Value};
use system_tests::rpc::ref_of;
use system_tests::{workspace, World};

/// Runs `opendevbrowser <args>` against the world's hub; what it printed.
async fn run(world: &World, args: &[&str]) -> std::process::Output {
    let binary = workspace().join("target/debug/opendevbrowser");
    tokio::process::Command::new(binary)
        .args(args)
        .env("OPENDEVBROWSER_CACHE_DIR", world.dirs.path().join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", world.dirs.path().join("config"))
        .env("OPENDEVBROWSER_INSTANCE_ID", "cli-session")
        .output()
        .await
        .unwrap()
}

/// Runs `opendevbrowser --json <args>` against the world's hub; its JSON answer.
async fn cli(world: &World, transcript: &mut Vec<String>, args: &[&str]) -> Value {
    let output = run(world, &[&["--json"], args].concat()).await;
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!("{args:?}: {}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    });
    transcript.push(format!("$ opendevbrowser {}\n{answer}", args.join(" ")));
    answer
}

/// [`cli`], and its `data` (the command must succeed).
async fn ok(world: &World, transcript: &mut Vec<String>, args: &[&str]) -> Value {
    let answer = cli(world, transcript, args).await;
    assert_eq!(answer["ok"], true, "{args:?}: {answer}\n{}", transcript.join("\n"));
    answer["data"].clone()
}

async fn snapshot(world: &World, t: &mut Vec<String>) -> String {
    ok(world, t, &["snapshot"]).await["content"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_scripted_cli_session_signs_in_answers_uploads_downloads_drags_and_clears() {
    let world = World::start().await;
    let t = &mut Vec::new();
    let site = |path: &str| world.site.url(path);
    let launched = ok(&world, t, &["launch", "--mode", "extension"]).await;
    assert_eq!(launched["mode"], "extension");

    ok(&world, t, &["goto", "--url", &site("/login")]).await;
    let text = String::from_utf8(run(&world, &["snapshot"]).await.stdout).unwrap();
    assert!(text.starts_with("# Sign in — http://127.0.0.1:"), "people get the outline, not JSON:\n{text}");
    assert!(text.contains("\n  [r1] textbox \"User\"\n"), "{text}");
    let tabs = String::from_utf8(run(&world, &["targets"]).await.stdout).unwrap();
    assert!(
        tabs.lines().any(|l| l.starts_with("* ") && l.ends_with(&site("/login"))),
        "the active tab is starred:\n{tabs}"
    );
    let page = snapshot(&world, t).await;
    let fields = json!([{"ref": ref_of(&page, "textbox \"User\""), "value": "ada"},
        {"ref": ref_of(&page, "textbox \"Password\""), "value": "secret"}]);
    let fields: Vec<String> = fields.as_array().unwrap().iter().map(Value::to_string).collect();
    let mut fill = vec!["fill", "--fields"];
    fill.extend(fields.iter().map(String::as_str));
    ok(&world, t, &fill).await;
    ok(&world, t, &["click", "--ref", &ref_of(&page, "button \"Sign in\"")]).await;
    ok(&world, t, &["wait", "--text", "Welcome, ada"]).await;

    ok(&world, t, &["goto", "--url", &site("/dialogs")]).await;
    let page = snapshot(&world, t).await;
    let opened = cli(&world, t, &["click", "--ref", &ref_of(&page, "button \"Confirm\"")]).await;
    assert_eq!(opened["error"]["code"], "dialog_open", "{opened}");
    ok(&world, t, &["dialog", "--action", "accept"]).await;
    ok(&world, t, &["wait", "--text", "confirmed"]).await;

    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("expenses.txt");
    std::fs::write(&report, "coffee 3.50\n").unwrap();
    ok(&world, t, &["goto", "--url", &site("/forms")]).await;
    let page = snapshot(&world, t).await;
    let uploaded =
        ok(&world, t, &["upload", "--ref", &ref_of(&page, "\"Report\""), "--files", report.to_str().unwrap()]).await;
    assert_eq!(uploaded["files"][0]["bytes"], 12);
    ok(&world, t, &["wait", "--text", "expenses.txt:12"]).await;

    ok(&world, t, &["goto", "--url", &site("/download")]).await;
    let page = snapshot(&world, t).await;
    let saved = ok(&world, t, &["download", "--ref", &ref_of(&page, "link \"Download report\"")]).await;
    let path = saved["path"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(path).unwrap(), system_tests::pages::REPORT_CSV);
    let _ = std::fs::remove_file(path);

    ok(&world, t, &["goto", "--url", &site("/input")]).await;
    let page = snapshot(&world, t).await;
    ok(
        &world,
        t,
        &["drag", "--from", &ref_of(&page, "button \"Card A\""), "--to", &ref_of(&page, "button \"Card C\"")],
    )
    .await;
    ok(&world, t, &["wait", "--text", "B,C,A"]).await;
    let field = ref_of(&page, "textbox \"Field\"");
    ok(&world, t, &["type", "--ref", &field, "--text", "typo here"]).await;
    ok(&world, t, &["press", "--ref", &field, "--key", "Control+A"]).await;
    ok(&world, t, &["press", "--ref", &field, "--key", "Backspace"]).await;
    assert_eq!(ok(&world, t, &["dom-value", "--ref", &field]).await["value"], "");
    ok(&world, t, &["disconnect"]).await;
    println!("{}", t.join("\n"));
}
