//! The ref table of a tab's current document (`js::REF_TABLE`): made on first use, held
//! by its remote object id in the target's state, made again when its document is gone.
//! Every function that acts on refs runs as a method of it.

use crate::error::{err, Error};
use crate::session::BrowserSession;
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
    let arguments: Vec<Value> = args.iter().map(|a| json!({"value": a})).collect();
    for attempt in 0..2 {
        let table = table(session, target, cdp).await?;
        let params = json!({"objectId": table, "functionDeclaration": function, "arguments": arguments,
            "returnByValue": by_value, "awaitPromise": true});
        match session.call("Runtime.callFunctionOn", params, Some(cdp)).await {
            Ok(result) => return js_result(result, by_value),
            Err(Error::Cdp(CdpError::Protocol { message, .. })) if attempt == 0 && is_gone_object(&message) => {
                if let Some(t) = session.state().targets.get_mut(target) {
                    t.ref_table.clear();
                }
            }
            Err(e) => return Err(e),
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
    let made = json!({"expression": crate::js::REF_TABLE, "objectGroup": "opendevbrowser"});
    let made = session.call("Runtime.evaluate", made, Some(cdp)).await?;
    let id = made["result"]["objectId"].as_str().unwrap_or_default().to_owned();
    if id.is_empty() {
        return Err(err("js_error", "the page did not make the ref table"));
    }
    if let Some(t) = session.state().targets.get_mut(target) {
        t.ref_table = id.clone();
    }
    Ok(id)
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

/// A `Runtime.callFunctionOn` answer: its value (or remote object), or `js_error` with the
/// page's message and stack.
fn js_result(result: Value, by_value: bool) -> Result<Value, Error> {
    if let Some(e) = result.get("exceptionDetails") {
        let text = e["exception"]["description"].as_str().or(e["text"].as_str()).unwrap_or("exception");
        return Err(err("js_error", format!("the page threw: {text}")));
    }
    Ok(if by_value { result["result"]["value"].clone() } else { result["result"].clone() })
}
