//! Actions tell the truth, in every mode (the user's Chrome through the real extension,
//! a managed Chromium, and a Chromium attached with `session.connect`): a missing option, a value a field cannot hold, or a field that
//! cannot take text is an error with a stable code, and what succeeds is what the page
//! itself saw (each field's `change` is written into `#out` by the page).

use serde_json::{json, Value};
use system_tests::oracle::{Oracle, PlainChromium};
use system_tests::rpc::Driver;
use system_tests::site::Site;
use system_tests::{HubWorld, World};

/// The ref of the element whose snapshot line has the word `role` (any role when empty)
/// and the accessible name `name` (quoted): the first bracketed token on that line that
/// looks like a ref (`[r12]`, `[ref=r12]`), so the test does not depend on the rest of the
/// snapshot's layout (roles of date and color inputs differ between engines).
fn ref_named(snapshot: &str, role: &str, name: &str) -> String {
    let quoted = format!("\"{name}\"");
    let line = snapshot
        .lines()
        .find(|l| {
            l.contains(&quoted) && (role.is_empty() || l.split(|c: char| !c.is_alphanumeric()).any(|w| w == role))
        })
        .unwrap_or_else(|| panic!("no {role} {quoted} in\n{snapshot}"));
    line.split('[')
        .skip(1)
        .filter_map(|s| s.split(']').next())
        .map(|s| s.trim_start_matches("ref="))
        .find(|s| s.len() > 1 && s[1..].bytes().all(|b| b.is_ascii_digit()) && s.as_bytes()[0].is_ascii_alphabetic())
        .unwrap_or_else(|| panic!("no ref on {line:?}"))
        .to_owned()
}

/// The value the page's last `change` of field `id` reported (`None`: no change yet).
async fn seen(d: &Driver<'_>, id: &str) -> Option<String> {
    let out = d.ok("page.evaluate", json!({"expression": "document.getElementById('out').textContent"})).await;
    let prefix = format!("{id}=");
    out["value"].as_str().unwrap().lines().rev().find_map(|l| l.strip_prefix(&prefix)).map(str::to_owned)
}

/// How many `change` events field `id` has reported.
async fn changes(d: &Driver<'_>, id: &str) -> usize {
    let out = d.ok("page.evaluate", json!({"expression": "document.getElementById('out').textContent"})).await;
    out["value"].as_str().unwrap().lines().filter(|l| l.starts_with(&format!("{id}="))).count()
}

fn message(error: &Value) -> &str {
    error["message"].as_str().unwrap()
}

/// `interact.select`: by label and by value, several options of a multi-select; a missing
/// option is `option_not_found` listing the options; a page that undoes the choice is
/// `action_failed` naming what it kept.
async fn selects_tell_the_truth(d: &Driver<'_>, refs: &Refs) {
    let chose = d.ok("interact.select", json!({"ref": refs.color, "values": ["Green"]})).await;
    assert_eq!(chose["selected"], 1, "{chose}");
    assert_eq!(seen(d, "color").await.as_deref(), Some("g"), "the page saw Green chosen");
    d.ok("interact.select", json!({"ref": refs.color, "values": ["b"]})).await;
    assert_eq!(seen(d, "color").await.as_deref(), Some("b"), "by value");

    let missing =
        d.fails("interact.select", json!({"ref": refs.color, "values": ["Purple"]}), "option_not_found").await;
    for word in ["\"Purple\"", "\"Red\"", "\"Green\"", "\"Blue\"", "\"r\""] {
        assert!(message(&missing).contains(word), "the error lists the options ({word}): {missing}");
    }
    assert_eq!(seen(d, "color").await.as_deref(), Some("b"), "nothing changed");
    let filled = json!({"fields": [{"ref": refs.color, "value": "Purple"}]});
    d.fails("interact.fill", filled, "option_not_found").await;

    let many = d.ok("interact.select", json!({"ref": refs.toppings, "values": ["Cheese", "Olives"]})).await;
    assert_eq!(many["selected"], 2, "{many}");
    assert_eq!(seen(d, "toppings").await.as_deref(), Some("Cheese+Olives"));
    let missing = json!({"ref": refs.toppings, "values": ["Ham", "Pineapple"]});
    let missing = d.fails("interact.select", missing, "option_not_found").await;
    assert!(message(&missing).contains("\"Pineapple\"") && message(&missing).contains("\"Ham\""), "{missing}");
    assert_eq!(seen(d, "toppings").await.as_deref(), Some("Cheese+Olives"), "nothing changed");
    let filled = json!({"fields": [{"ref": refs.toppings, "value": ["Ham", "Olives"]}]});
    assert_eq!(d.ok("interact.fill", filled).await["filled"], 1);
    assert_eq!(seen(d, "toppings").await.as_deref(), Some("Ham+Olives"), "a multi-select filled with a list");

    let refused = d.fails("interact.select", json!({"ref": refs.size, "values": ["XL"]}), "action_failed").await;
    assert!(message(&refused).contains("kept \"M\""), "names what the page kept: {refused}");
    assert_eq!(seen(d, "size").await.as_deref(), Some("M"));
}

/// Date-like, color and range inputs take their ISO value (and a date the browser's locale
/// form), the page's `change` sees each; wrong values are `invalid_value` naming the
/// format and leave the field as it was.
async fn typed_inputs_tell_the_truth(d: &Driver<'_>, refs: &Refs) {
    let fill = |r: &str, v: Value| json!({"fields": [{"ref": r, "value": v}]});
    assert_eq!(d.ok("interact.fill", fill(&refs.day, json!("2010-04-11"))).await["filled"], 1);
    assert_eq!(seen(d, "day").await.as_deref(), Some("2010-04-11"));

    // The date as this browser's locale shows it (04/11/2010 in en-US) is the same day.
    let shown = "new Intl.DateTimeFormat(navigator.language, {year: 'numeric', month: '2-digit', day: '2-digit'})\
                 .format(new Date(2010, 3, 11))";
    let shown = d.ok("page.evaluate", json!({"expression": shown})).await["value"].as_str().unwrap().to_owned();
    let language = d.ok("page.evaluate", json!({"expression": "navigator.language"})).await["value"].clone();
    if language.as_str().is_some_and(|l| l.starts_with("en-US")) {
        assert_eq!(shown, "04/11/2010");
    }
    d.ok("interact.fill", fill(&refs.day, json!(shown))).await;
    assert_eq!(changes(d, "day").await, 2, "a second change: {shown} ({language})");
    assert_eq!(seen(d, "day").await.as_deref(), Some("2010-04-11"), "{shown} ({language})");

    let banana = d.fails("interact.fill", fill(&refs.day, json!("banana")), "invalid_value").await;
    for word in ["YYYY-MM-DD", "2010-04-11", "\"banana\"", "fields[0]", &refs.day] {
        assert!(message(&banana).contains(word), "{word}: {banana}");
    }
    let value = json!({"expression": "(el) => el.value", "ref": refs.day});
    assert_eq!(d.ok("page.evaluate", value).await["value"], "2010-04-11", "the field kept its date");
    assert_eq!(changes(d, "day").await, 2, "no change event for a refused value");

    // Typing a date is setting it: a date field's parts do not take the ISO string key by key.
    d.ok("interact.type", json!({"ref": refs.day, "text": "2010-09-09"})).await;
    assert_eq!(seen(d, "day").await.as_deref(), Some("2010-09-09"), "typed into a date field");
    d.fails("interact.type", json!({"ref": refs.day, "text": "banana"}), "invalid_value").await;
    assert_eq!(seen(d, "day").await.as_deref(), Some("2010-09-09"), "a refused date leaves the field");

    let fields = json!([{"ref": refs.at, "value": "1:45 PM"}, {"ref": refs.when, "value": "2010-04-11T13:45"},
        {"ref": refs.month, "value": "2010-04"}, {"ref": refs.week, "value": "2010-W15"},
        {"ref": refs.paint, "value": "#FF8800"}, {"ref": refs.volume, "value": 35}]);
    assert_eq!(d.ok("interact.fill", json!({"fields": fields})).await["filled"], 6);
    for (id, want) in [("at", "13:45"), ("when", "2010-04-11T13:45"), ("month", "2010-04"), ("week", "2010-W15")] {
        assert_eq!(seen(d, id).await.as_deref(), Some(want), "{id}");
    }
    assert_eq!((seen(d, "paint").await.as_deref(), seen(d, "volume").await.as_deref()), (Some("#ff8800"), Some("35")));

    let far = d.fails("interact.fill", fill(&refs.volume, json!("60")), "invalid_value").await;
    assert!(message(&far).contains("from 0 to 50 in steps of 5"), "{far}");
    d.fails("interact.fill", fill(&refs.volume, json!("23")), "invalid_value").await;
    let red = d.fails("interact.fill", fill(&refs.paint, json!("red")), "invalid_value").await;
    assert!(message(&red).contains("#rrggbb"), "{red}");
    let week = d.fails("interact.fill", fill(&refs.week, json!("week 15")), "invalid_value").await;
    assert!(message(&week).contains("2010-W15"), "{week}");
    assert_eq!((seen(d, "volume").await.as_deref(), changes(d, "paint").await), (Some("35"), 1), "nothing changed");

    // The first failure is the error, naming its field; the fields before it were filled.
    let fields = json!([{"ref": refs.notes, "value": "first line\nsecond"}, {"ref": refs.at, "value": "25:00"}]);
    let second = d.fails("interact.fill", json!({"fields": fields}), "invalid_value").await;
    assert!(message(&second).contains(&format!("fields[1]: ref {}", refs.at)), "{second}");
    assert_eq!(seen(d, "notes").await.as_deref(), Some(r"first line\nsecond"));
}

/// Filling into a button, a readonly or a disabled field is `not_editable` naming what it
/// is; a checkbox value for a text field is a parameter error.
async fn not_editable_is_said(d: &Driver<'_>, refs: &Refs) {
    let fill = |r: &str, v: Value| json!({"fields": [{"ref": r, "value": v}]});
    let button = d.fails("interact.fill", fill(&refs.go, json!("hello")), "not_editable").await;
    assert!(message(&button).contains(&format!("ref {} is a button, which cannot take text", refs.go)), "{button}");
    let readonly = d.fails("interact.fill", fill(&refs.code, json!("X-2")), "not_editable").await;
    assert!(message(&readonly).contains("readonly"), "{readonly}");
    let disabled = d.fails("interact.fill", fill(&refs.locked, json!("open")), "not_editable").await;
    assert!(message(&disabled).contains("disabled"), "{disabled}");
    let value = json!({"expression": "(el) => el.value", "ref": refs.code});
    assert_eq!(d.ok("page.evaluate", value).await["value"], "X-1", "the readonly field is untouched");
    assert_eq!(changes(d, "code").await, 0);
    d.fails("interact.fill", fill(&refs.notes, json!(true)), "invalid_param").await;
}

/// The refs of the `/truth` page.
struct Refs {
    color: String,
    toppings: String,
    size: String,
    day: String,
    at: String,
    when: String,
    month: String,
    week: String,
    paint: String,
    volume: String,
    code: String,
    locked: String,
    notes: String,
    go: String,
}

async fn every_case(d: &Driver<'_>, site: &Site) {
    d.ok("nav.goto", json!({"url": site.url("/truth"), "waitUntil": "load"})).await;
    let page = d.snapshot().await;
    let r = |role: &str, name: &str| ref_named(&page, role, name);
    let refs = Refs {
        color: r("combobox", "Color"),
        toppings: r("listbox", "Toppings"),
        size: r("combobox", "Size"),
        day: r("", "Day"),
        at: r("", "At"),
        when: r("", "When"),
        month: r("", "Month"),
        week: r("", "Week"),
        paint: r("", "Paint"),
        volume: r("slider", "Volume"),
        code: r("textbox", "Code"),
        locked: r("textbox", "Locked"),
        notes: r("textbox", "Notes"),
        go: r("button", "Go"),
    };
    selects_tell_the_truth(d, &refs).await;
    typed_inputs_tell_the_truth(d, &refs).await;
    not_editable_is_said(d, &refs).await;
}

#[tokio::test]
async fn actions_tell_the_truth_in_the_users_chrome() {
    let world = World::start().await;
    let driver = Driver::in_users_chrome(&world.hub).await;
    every_case(&driver, &world.site).await;
}

#[tokio::test]
async fn actions_tell_the_truth_in_managed_chromium() {
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let driver = Driver::in_managed_chromium(hub, &site.url("/")).await;
    every_case(&driver, site).await;
}

#[tokio::test]
async fn actions_tell_the_truth_in_a_connected_chromium() {
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let chromium = PlainChromium::launch(&site.url("/")).await;
    let driver = Driver::in_connected_chromium(hub, &chromium).await;
    every_case(&driver, site).await;
    // The page of the browser on the DevTools port saw the last choices, and no refused one.
    let mut oracle = Oracle::connect(chromium.devtools_port).await;
    let out = oracle.page(&site.url("/truth")).await.text("#out").await;
    let last =
        |id: &str| out.as_str().unwrap().lines().rev().find(|l| l.starts_with(&format!("{id}="))).map(str::to_owned);
    assert_eq!(
        (last("color").as_deref(), last("toppings").as_deref()),
        (Some("color=b"), Some("toppings=Ham+Olives")),
        "{out}"
    );
    assert!(!out.as_str().unwrap().contains("Purple") && !out.as_str().unwrap().contains("XL"), "{out}");
}
