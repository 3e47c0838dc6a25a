//! `page.dialog` and `page.evaluate`: answering what the page asks, and running the
//! caller's JavaScript in it.

use crate::dialogs::{outcome, DialogPolicy};
use crate::error::{err, Error};
use crate::js;
use crate::session::BrowserSession;
use crate::SessionOp;
use opendevbrowser_api::commands::{Dialog, DialogAnswer, Evaluate, Evaluated};
use serde_json::json;
use std::sync::Arc;

impl SessionOp for Dialog {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<DialogAnswer, Error> {
        let accept = match self.action.as_deref() {
            None => None,
            Some("accept") => Some(true),
            Some("dismiss") => Some(false),
            Some(other) => return Err(Error::param("action", format!("must be accept or dismiss, not {other:?}"))),
        };
        let policy = self.policy.as_deref().map(DialogPolicy::parse).transpose()?;
        let (target, cdp) = session.active_ignoring_dialogs().await?;
        if let Some(policy) = policy {
            session.state().dialog_policy = policy;
        }
        let policy = session.state().dialog_policy;
        let open = session.state().dialogs.get(&target).cloned();
        // An explicit action wins; a new accept/dismiss policy also answers what is open.
        let answer = accept.or(open.as_ref().and(policy.auto_answer()));
        let handled = match (answer, open) {
            (None, _) => None,
            (Some(_), None) if accept.is_some() => {
                return Err(err("no_dialog", "no JavaScript dialog is open on this tab: nothing to answer"))
            }
            (Some(_), None) => None,
            (Some(accept), Some(mut dialog)) => {
                let mut params = json!({"accept": accept});
                if let (true, Some(text)) = (accept, &self.prompt_text) {
                    params["promptText"] = json!(text);
                }
                session.call("Page.handleJavaScriptDialog", params, Some(&cdp)).await?;
                session.state().dialogs.remove(&target);
                dialog.outcome = Some(outcome(accept).to_owned());
                Some(dialog)
            }
        };
        Ok(DialogAnswer { handled, policy: policy.name().to_owned() })
    }
}

impl SessionOp for Evaluate {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Evaluated, Error> {
        let (target, cdp) = session.active().await?;
        if let Some(r) = &self.element {
            session.check_ref(&target, r)?;
        }
        let args = self.args.unwrap_or_default();
        let expression = js::evaluate(&self.expression, self.element.as_deref(), &args);
        let result = session.eval(&cdp, &expression).await?;
        if result["stale"] == true {
            let r = self.element.unwrap_or_default();
            return Err(err("stale_ref", format!("ref {r} is no longer in the page: take a new snapshot")));
        }
        if let Some(problem) = result["problem"].as_str() {
            return Err(Error::param("expression", problem.to_owned()));
        }
        Ok(Evaluated {
            value: result["value"].clone(),
            kind: result["type"].as_str().unwrap_or("undefined").to_owned(),
        })
    }
}
