//! `network.route`, `network.unroute`, `network.routes`: the session's request rules
//! ([`crate::routes`]) as commands. While any rule (or an origin rule of the config file)
//! is in force, every attached tab of the session has the browser pause its requests
//! (`Fetch.enable`), and the session's event pump answers each as the rules say; with none
//! left, the tabs stop pausing (`Fetch.disable`). Works through the extension too
//! (`chrome.debugger` allows the `Fetch` domain).

use crate::error::{err, Error};
use crate::routes::Action;
use crate::session::BrowserSession;
use crate::SessionOp;
use opendevbrowser_api::commands::{ListRoutes, Route, RouteAdded, RouteInfo, RouteList, RoutesRemoved, Unroute};
use serde_json::json;
use std::sync::Arc;

impl SessionOp for Route {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<RouteAdded, Error> {
        let action = action_of(&self)?;
        let types = self.resource_types.clone().unwrap_or_default();
        let (rule_id, rules, was_off) = {
            let mut state = session.state();
            let was_off = !state.intercepts();
            let rule = state.routes.add(&self.url_pattern, self.regex == Some(true), types, action)?;
            let id = rule.id.clone();
            (id, state.routes.rules().len(), was_off)
        };
        if was_off {
            intercept_every_tab(session, true).await?;
        }
        Ok(RouteAdded { rule_id, rules })
    }
}

impl SessionOp for Unroute {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<RoutesRemoved, Error> {
        let (removed, now_off) = {
            let mut state = session.state();
            let removed = state.routes.remove(self.rule_id.as_deref());
            (removed, !state.intercepts())
        };
        if let (Some(id), 0) = (&self.rule_id, removed) {
            return Err(err("unknown_rule", format!("no request rule {id:?} (network.routes lists them)")));
        }
        if now_off && removed > 0 {
            intercept_every_tab(session, false).await?;
        }
        Ok(RoutesRemoved { removed })
    }
}

impl SessionOp for ListRoutes {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<RouteList, Error> {
        let state = session.state();
        let rules = state
            .routes
            .rules()
            .iter()
            .map(|r| RouteInfo {
                rule_id: r.id.clone(),
                url_pattern: r.pattern.clone(),
                regex: r.regex,
                resource_types: r.resource_types.clone(),
                action: r.action.name().to_owned(),
                hits: r.hits,
            })
            .collect();
        Ok(RouteList { rules })
    }
}

/// The rule's action from the command; `invalid_param` naming what is missing.
fn action_of(cmd: &Route) -> Result<Action, Error> {
    match cmd.action.as_str() {
        "block" => Ok(Action::Block),
        "mock" => {
            let body = match (&cmd.body, &cmd.body_file) {
                (_, Some(file)) => std::fs::read(file)
                    .map_err(|e| err("file_not_found", format!("cannot read bodyFile {file}: {e}")))?,
                (Some(text), None) => text.clone().into_bytes(),
                (None, None) => Vec::new(),
            };
            Ok(Action::Mock {
                status: cmd.status.unwrap_or(200),
                headers: cmd.headers.clone().unwrap_or_default(),
                body,
            })
        }
        "headers" => match &cmd.headers {
            Some(h) if !h.is_empty() => Ok(Action::Headers(h.clone())),
            _ => Err(Error::param("headers", "is required for action headers: the request headers to set")),
        },
        other => Err(Error::param("action", format!("must be block, mock or headers, not {other:?}"))),
    }
}

/// Turns request pausing on or off in every tab the session has attached.
async fn intercept_every_tab(session: &BrowserSession, on: bool) -> Result<(), Error> {
    let sessions: Vec<String> = {
        let state = session.state();
        state
            .targets
            .iter()
            .filter(|(target, t)| !t.cdp_session.is_empty() && !state.plain_targets.contains(*target))
            .map(|(_, t)| t.cdp_session.clone())
            .collect()
    };
    let (method, params) =
        if on { ("Fetch.enable", crate::routes::pause_every_request()) } else { ("Fetch.disable", json!({})) };
    for cdp in sessions {
        session.call(method, params.clone(), Some(&cdp)).await?;
    }
    Ok(())
}
