//! Forms: select options, check/uncheck with the final state verified, fill many fields in
//! one call, and upload files into a file input (`DOM.setFileInputFiles`).

use crate::ctx::{on_active_target, Ctx};
use crate::error::{err, Error};
use crate::js;
use opendevbrowser_api::commands::*;
use serde_json::{json, Value};
use std::path::Path;

on_active_target!(Select => Selected, |cmd, ctx| {
    // A deliberate bug that exists only for scripts/mutation_check.sh (never enabled
    // otherwise): `interact.select` leaves the page alone and answers as if it had chosen.
    #[cfg(feature = "mutant-select-does-nothing")]
    return Ok(Selected { selected: Some(cmd.values.len().into()) });
    let r = &cmd.element;
    let done = ctx.ref_op(r, "select", json!(cmd.values)).await?;
    refused(&done, "values", "", r, "")?;
    Ok(Selected { selected: done["selected"].as_number().cloned() })
});
on_active_target!(Check => CheckState, |cmd, ctx| ctx.check(&cmd.element, cmd.checked.unwrap_or(true)).await);
on_active_target!(Fill => Filled, |cmd, ctx| {
    for (i, field) in cmd.fields.iter().enumerate() {
        let r = &field.element;
        let done = ctx.ref_op(r, "fill", field.value.clone()).await?;
        let before = if i == 0 { "" } else { " (the fields before it were filled)" };
        refused(&done, &format!("fields[{i}].value"), &format!("fields[{i}]: "), r, before)?;
    }
    Ok(Filled { filled: cmd.fields.len() })
});
on_active_target!(Upload => Uploaded, |cmd, ctx| ctx.upload(&cmd.element, &cmd.files).await);

/// The page's `{error, code}` answer to an op on ref `r` as a typed error with that code:
/// `{lead}ref {r} {error}{tail}`, the page's `error` being a predicate about the element
/// (`is a button, which cannot take text`); `invalid_param` becomes a parameter error on
/// `param`. `Ok` when the op answered no error.
pub(crate) fn refused(answer: &Value, param: &str, lead: &str, r: &str, tail: &str) -> Result<(), Error> {
    let Some(problem) = answer["error"].as_str() else { return Ok(()) };
    let code = match answer["code"].as_str().unwrap_or_default() {
        "invalid_param" => return Err(Error::param(param, format!("ref {r} {problem}"))),
        "not_editable" => "not_editable",
        "option_not_found" => "option_not_found",
        "invalid_value" => "invalid_value",
        _ => "action_failed",
    };
    Err(err(code, format!("{lead}ref {r} {problem}{tail}")))
}

impl Ctx<'_> {
    /// Clicks a checkbox or radio only if it is not already as wanted, then reads it back.
    async fn check(&self, r: &str, wanted: bool) -> Result<CheckState, Error> {
        let state = |v: &Value| v["value"].as_bool();
        let before = self.ref_op(r, "checkState", Value::Null).await?;
        let Some(was) = state(&before) else {
            return Err(err("check_failed", format!("ref {r} is not a checkbox or radio")));
        };
        if was == wanted {
            return Ok(CheckState { checked: was, changed: false });
        }
        self.click(Click { element: Some(r.to_owned()), ..Click::default() }).await?;
        let now = state(&self.ref_op(r, "checkState", Value::Null).await?);
        if now != Some(wanted) {
            let verb = if wanted { "check" } else { "uncheck" };
            return Err(err("check_failed", format!("clicked ref {r} to {verb} it, but the page kept it as it was")));
        }
        Ok(CheckState { checked: wanted, changed: true })
    }

    /// Sets the files of the file input `r` and reads back what the page got.
    async fn upload(&self, r: &str, files: &[String]) -> Result<Uploaded, Error> {
        let mut paths = Vec::with_capacity(files.len());
        for file in files {
            let path = Path::new(file);
            let full = std::fs::canonicalize(path)
                .ok()
                .filter(|p| p.is_file())
                .ok_or_else(|| err("file_not_found", format!("cannot upload {file}: no such file on this machine")))?;
            paths.push(full.display().to_string());
        }
        self.session.check_ref(&self.target, r)?;
        let found =
            crate::frames::call_on_ref(self.session, &self.target, &self.cdp, r, js::FILE_INPUT, &[], false).await?;
        let Some(object) = found["objectId"].as_str() else {
            return Err(err("stale_ref", format!("ref {r} is not a file input in the page (or it is gone)")));
        };
        let home = crate::frames::session_of_ref(self.session, &self.target, &self.cdp, r);
        let set = json!({"files": paths, "objectId": object});
        self.session.call("DOM.setFileInputFiles", set, Some(&home)).await?;
        let read = json!({"objectId": object, "returnByValue": true,
            "functionDeclaration": "function () { return [...this.files].map(f => ({name: f.name, bytes: f.size})); }"});
        let got = self.session.call("Runtime.callFunctionOn", read, Some(&home)).await?;
        let files = serde_json::from_value(got["result"]["value"].clone())
            .map_err(|e| err("js_error", format!("the page answered an odd file list: {e}")))?;
        Ok(Uploaded { files })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::BrowserError;

    #[test]
    fn the_pages_refusal_keeps_its_code_and_names_the_ref() {
        assert_eq!(refused(&json!({"selected": 1}), "values", "", "r1", ""), Ok(()));
        let button = json!({"error": "is a button, which cannot take text", "code": "not_editable"});
        let Err(Error::Browser(e)) =
            refused(&button, "fields[2].value", "fields[2]: ", "r5", " (the fields before it were filled)")
        else {
            panic!("a browser error")
        };
        assert_eq!(e.code, "not_editable");
        assert_eq!(
            e.message,
            "fields[2]: ref r5 is a button, which cannot take text (the fields before it were filled)"
        );
        for code in ["option_not_found", "invalid_value", "action_failed"] {
            let Err(Error::Browser(e)) = refused(&json!({"error": "x", "code": code}), "v", "", "r1", "") else {
                panic!("{code}")
            };
            assert_eq!(e.code, code);
        }
        let odd = refused(&json!({"error": "unknown op nope"}), "v", "", "r1", "");
        assert!(matches!(odd, Err(Error::Browser(BrowserError { code: "action_failed", .. }))), "{odd:?}");
        let param = refused(
            &json!({"error": "is a checkbox, which takes true or false", "code": "invalid_param"}),
            "fields[0].value",
            "",
            "r2",
            "",
        );
        assert_eq!(param, Err(Error::param("fields[0].value", "ref r2 is a checkbox, which takes true or false")));
    }
}
