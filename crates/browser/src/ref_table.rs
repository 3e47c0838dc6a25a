//! The hub's object in a tab's current document (`js::REF_TABLE`) that `page.evaluate`
//! without a ref runs on: made on first use, held by its remote object id in the target's
//! state, made again when its document is gone.

use crate::error::{err, Error};
use crate::session::{js_result, BrowserSession};
use opendevbrowser_api::CdpError;
use serde_json::{json, Value};

/// Calls `function` (a `js` function declaration) as a method of the target's ref table
/// with JSON `args`; its JSON value, or its remote object when `by_value` is false. The
/// table is made on first use, and again when the document it lived in is gone.
pub async fn call(
    session: &BrowserSession,
    target: &str,
    cdp: &str,
    function: &str,
    args: &[Value],
    by_value: bool,
) -> Result<Value, Error> {
    for attempt in 0..2 {
        let table = table(session, target, cdp).await?;
        match call_function(session, cdp, &table, function, args, by_value).await {
            Err(Error::Cdp(CdpError::Protocol { message, .. })) if attempt == 0 && is_gone_object(&message) => {
                if let Some(t) = session.state().targets.get_mut(target) {
                    t.ref_table.clear();
                }
            }
            answer => return answer,
        }
    }
    Err(err("js_error", "the page's ref table vanished twice in a row"))
}

/// The target's ref table, made in the current document if it has none.
async fn table(session: &BrowserSession, target: &str, cdp: &str) -> Result<String, Error> {
    let known = session.state().targets.get(target).map(|t| t.ref_table.clone()).unwrap_or_default();
    if !known.is_empty() {
        return Ok(known);
    }
    let id = make_table(session, cdp, None).await?;
    if let Some(t) = session.state().targets.get_mut(target) {
        t.ref_table = id.clone();
    }
    Ok(id)
}

/// Makes a ref table in the document of flat session `cdp` (in execution context
/// `context`, when given: an isolated world of an iframe); its remote object id.
pub(crate) async fn make_table(session: &BrowserSession, cdp: &str, context: Option<i64>) -> Result<String, Error> {
    let mut make = json!({"expression": crate::js::REF_TABLE, "objectGroup": "opendevbrowser"});
    if let Some(context) = context {
        make["contextId"] = json!(context);
    }
    let made = session.call("Runtime.evaluate", make, Some(cdp)).await?;
    let id = made["result"]["objectId"].as_str().unwrap_or_default().to_owned();
    if id.is_empty() {
        return Err(err("js_error", "the page did not make the ref table"));
    }
    Ok(id)
}

/// Calls `function` as a method of the ref table `table` (reached through `cdp`) with JSON
/// `args`, awaiting promises; its value (or remote object), or `js_error`.
pub(crate) async fn call_function(
    session: &BrowserSession,
    cdp: &str,
    table: &str,
    function: &str,
    args: &[Value],
    by_value: bool,
) -> Result<Value, Error> {
    let arguments: Vec<Value> = args.iter().map(|a| json!({"value": a})).collect();
    let params = json!({"objectId": table, "functionDeclaration": function, "arguments": arguments,
        "returnByValue": by_value, "awaitPromise": true});
    js_result(session.call("Runtime.callFunctionOn", params, Some(cdp)).await?, by_value)
}

/// Whether a CDP error says a remote object (or its document) no longer exists.
fn is_gone_object(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    [
        "cannot find context",
        "could not find object",
        "no object with",
        "context was destroyed",
        "inspected target navigated",
    ]
    .iter()
    .any(|m| lower.contains(m))
}
