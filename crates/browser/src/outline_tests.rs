//! Outline rules on small accessibility trees written as the browser sends them.

use super::*;
use serde_json::json;

/// One node as `Accessibility.getFullAXTree` sends it; `backend` doubles as its node id.
fn n(id: i64, role: &str, name: &str, children: &[i64]) -> Value {
    let from_contents = json!([{"type": "contents", "value": {"type": "computedString", "value": name}}]);
    json!({"nodeId": id.to_string(), "ignored": false, "role": {"type": "role", "value": role},
        "name": {"type": "computedString", "value": name, "sources": from_contents},
        "properties": [], "childIds": children.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "backendDOMNodeId": id, "parentId": if id == 1 { Value::Null } else { json!("1") }})
}

fn with_props(mut node: Value, props: &[(&str, Value)]) -> Value {
    node["properties"] = props.iter().map(|(k, v)| json!({"name": k, "value": {"type": "x", "value": v}})).collect();
    node
}

fn with_value(mut node: Value, value: &str) -> Value {
    node["value"] = json!({"type": "string", "value": value});
    node
}

fn root(mut nodes: Vec<Value>) -> Vec<Value> {
    if let Some(first) = nodes.first_mut() {
        first.as_object_mut().unwrap().remove("parentId");
    }
    nodes
}

fn outline(nodes: Vec<Value>, clickable: &[i64], opts: Options) -> Rendered {
    let tree = AxTree::parse(&root(nodes));
    let clickable: HashSet<i64> = clickable.iter().copied().collect();
    let inline = HashSet::from([20]);
    render(&tree, None, 0, Layout { clickable: &clickable, inline: &inline }, opts, &mut |b| format!("r{b}"))
}

fn lines(nodes: Vec<Value>, clickable: &[i64]) -> Vec<String> {
    outline(nodes, clickable, Options::default()).lines
}

#[test]
fn text_runs_of_one_element_are_joined_as_the_page_shows_them() {
    let got = lines(
        vec![
            n(1, "RootWebArea", "T", &[2, 6]),
            n(2, "generic", "", &[3, 4, 5]),
            n(3, "StaticText", "Click on the link 'dolor' and then select ", &[]),
            n(4, "StaticText", "Sherrie", &[]),
            n(5, "StaticText", ".", &[]),
            n(6, "generic", "", &[7]),
            n(7, "StaticText", "Next block", &[]),
        ],
        &[],
    );
    assert_eq!(got, ["text: Click on the link 'dolor' and then select Sherrie.", "text: Next block"]);
}

#[test]
fn a_clickable_generic_element_gets_a_ref_and_its_text() {
    let got =
        lines(vec![n(1, "RootWebArea", "T", &[2]), n(2, "generic", "", &[3]), n(3, "StaticText", "dolor", &[])], &[2]);
    assert_eq!(got, ["[r2] generic clickable: dolor"]);
}

#[test]
fn a_name_equal_to_the_text_inside_is_said_once() {
    let got = lines(
        vec![n(1, "RootWebArea", "T", &[2]), n(2, "link", "Section 1", &[3]), n(3, "StaticText", "Section 1", &[])],
        &[],
    );
    assert_eq!(got, ["[r2] link \"Section 1\""]);
}

#[test]
fn list_items_and_rows_get_refs_and_a_row_named_by_its_cells_does_not_repeat_them() {
    let got = lines(
        vec![
            n(1, "RootWebArea", "T", &[2, 5]),
            n(2, "list", "", &[3]),
            n(3, "listitem", "", &[4]),
            n(4, "StaticText", "one", &[]),
            n(5, "table", "", &[6]),
            n(6, "row", "Ann 3", &[7, 9]),
            n(7, "cell", "Ann", &[8]),
            n(8, "StaticText", "Ann", &[]),
            n(9, "cell", "3", &[10]),
            n(10, "StaticText", "3", &[]),
        ],
        &[],
    );
    assert_eq!(
        got,
        ["list", "  [r3] listitem: one", "table", "  [r6] row", "    [r7] cell \"Ann\"", "    [r9] cell \"3\""]
    );
}

#[test]
fn a_select_lists_its_options_with_the_selected_one_marked() {
    let select = with_value(with_props(n(2, "combobox", "Color", &[3]), &[("expanded", json!(false))]), "green");
    let mut select = select;
    select["name"]["sources"] = json!([]);
    let got = lines(
        vec![
            n(1, "RootWebArea", "T", &[2]),
            select,
            n(3, "MenuListPopup", "", &[4, 5]),
            n(4, "option", "red", &[]),
            with_props(n(5, "option", "green", &[]), &[("selected", json!(true))]),
        ],
        &[],
    );
    assert_eq!(
        got,
        [
            "[r2] combobox \"Color\" value=\"green\" collapsed",
            "  [r4] option \"red\"",
            "  [r5] option \"green\" selected"
        ]
    );
}

#[test]
fn states_and_values_a_person_sees_are_on_the_line() {
    let mut area = with_value(
        with_props(n(2, "textbox", "Notes", &[]), &[("multiline", json!(true)), ("required", json!(true))]),
        "a ",
    );
    area["name"]["sources"] = json!([]);
    let check = with_props(n(3, "checkbox", "Agree", &[]), &[("checked", json!("mixed")), ("disabled", json!(true))]);
    let slider =
        with_value(with_props(n(4, "slider", "Volume", &[]), &[("valuemin", json!(1)), ("valuemax", json!(9))]), "3");
    let heading = with_props(n(5, "heading", "Title", &[]), &[("level", json!(2))]);
    let got = lines(vec![n(1, "RootWebArea", "T", &[2, 3, 4, 5]), area, check, slider, heading], &[]);
    assert_eq!(
        got,
        [
            "[r2] textbox \"Notes\" value=\"a \" multiline required",
            "[r3] checkbox \"Agree\" disabled mixed",
            "[r4] slider \"Volume\" value=\"3\" min=1 max=9",
            "heading \"Title\" level=2",
        ]
    );
}

#[test]
fn a_long_value_says_it_is_cut_and_how_long_it_is() {
    let long = "x".repeat(MAX_NAME + 50);
    let got = lines(vec![n(1, "RootWebArea", "T", &[2]), with_value(n(2, "textbox", "", &[]), &long)], &[]);
    assert!(got[0].ends_with(&format!("…(cut: value has {} characters)", MAX_NAME + 50)), "{}", got[0]);
}

#[test]
fn actionables_mode_keeps_only_what_can_be_acted_on_flat() {
    let got = outline(
        vec![
            n(1, "RootWebArea", "T", &[2, 5]),
            n(2, "navigation", "Main", &[3]),
            n(3, "link", "Home", &[4]),
            n(4, "StaticText", "Home", &[]),
            n(5, "StaticText", "Words", &[]),
        ],
        &[],
        Options { mode: Mode::Actionables, ..Options::default() },
    );
    assert_eq!(got.lines, ["[r3] link \"Home\""]);
    assert_eq!(got.ref_count, 1);
}

#[test]
fn iframes_leave_a_slot_for_their_document() {
    let got = outline(
        vec![n(1, "RootWebArea", "T", &[2]), n(2, "main", "", &[3]), n(3, "Iframe", "", &[])],
        &[],
        Options::default(),
    );
    assert_eq!(got.lines, ["main", "  iframe"]);
    assert_eq!(got.frames, [FrameSlot { line: 1, depth: 2, backend_id: 3 }]);
}

#[test]
fn a_depth_limit_cuts_deeper_lines_and_says_so() {
    let got = outline(
        vec![
            n(1, "RootWebArea", "T", &[2]),
            n(2, "navigation", "", &[3]),
            n(3, "list", "", &[4]),
            n(4, "link", "x", &[]),
        ],
        &[],
        Options { max_depth: Some(1), ..Options::default() },
    );
    assert_eq!(got.lines, ["navigation", "  list …"]);
}

#[test]
fn hidden_nodes_leave_no_line_but_their_shown_children_stay() {
    let mut hidden = n(2, "generic", "", &[3]);
    hidden["ignored"] = json!(true);
    let got = lines(vec![n(1, "RootWebArea", "T", &[2]), hidden, n(3, "button", "Go", &[])], &[]);
    assert_eq!(got, ["[r3] button \"Go\""]);
}

#[test]
fn a_label_is_text_and_its_control_has_the_ref() {
    let got = lines(
        vec![
            n(1, "RootWebArea", "T", &[2, 4]),
            n(2, "LabelText", "", &[3]),
            n(3, "StaticText", "User", &[]),
            with_value(n(4, "textbox", "User", &[]), ""),
        ],
        &[2],
    );
    assert_eq!(got, ["text: User", "[r4] textbox \"User\""]);
}

#[test]
fn inline_elements_keep_a_sentence_together_and_blocks_split_it() {
    let got = lines(
        vec![
            n(1, "RootWebArea", "T", &[2, 21]),
            n(2, "generic", "", &[3, 20, 4]),
            n(3, "StaticText", "Click on ", &[]),
            n(20, "generic", "", &[22]),
            n(22, "StaticText", "dolor", &[]),
            n(4, "StaticText", " now", &[]),
            n(21, "generic", "", &[23]),
            n(23, "StaticText", "Next", &[]),
        ],
        &[],
    );
    assert_eq!(got, ["text: Click on dolor now", "text: Next"]);
}
