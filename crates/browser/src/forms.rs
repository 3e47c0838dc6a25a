//! Forms: select options, check/uncheck with the final state verified, fill many fields in
//! one call, and upload files into a file input (`DOM.setFileInputFiles`).

use crate::ctx::{on_active_target, Ctx};
use crate::error::{err, Error};
use crate::js;
use opendevbrowser_api::commands::*;
use serde_json::{json, Value};
use std::path::Path;

on_active_target!(Select => Selected, |cmd, ctx| {
    let r = ctx.ref_op(&cmd.element, "select", json!(cmd.values)).await?;
    Ok(Selected { selected: r["selected"].as_number().cloned() })
});
on_active_target!(Check => CheckState, |cmd, ctx| ctx.check(&cmd.element, cmd.checked.unwrap_or(true)).await);
on_active_target!(Fill => Filled, |cmd, ctx| {
    for (i, field) in cmd.fields.iter().enumerate() {
        let done = ctx.ref_op(&field.element, "fill", field.value.clone()).await?;
        if let Some(problem) = done["error"].as_str() {
            return Err(Error::param(&format!("fields[{i}]"), format!("ref {}: {problem}", field.element)));
        }
    }
    Ok(Filled { filled: cmd.fields.len() })
});
on_active_target!(Upload => Uploaded, |cmd, ctx| ctx.upload(&cmd.element, &cmd.files).await);

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
