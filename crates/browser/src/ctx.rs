//! What every command on a session's active target runs with: the target, its flat CDP
//! session, and the helpers they share (evaluate, one op on a ref, one input call).
//! [`on_active_target!`] turns a closure over a [`Ctx`] into a command's `SessionOp`.

use crate::error::Error;
use crate::session::BrowserSession;
use opendevbrowser_api::commands::Reading;
use serde_json::{json, Value};
use std::sync::Arc;

/// Runs `$body` with a [`Ctx`] on the session's active target.
macro_rules! on_active_target {
    ($ty:ty => $out:ty, |$this:ident, $ctx:ident| $body:expr) => {
        impl $crate::SessionOp for $ty {
            async fn run(
                self,
                session: &std::sync::Arc<$crate::session::BrowserSession>,
            ) -> Result<$out, $crate::error::Error> {
                let $this = self;
                let $ctx = $crate::ctx::Ctx::new(session).await?;
                $body
            }
        }
    };
}
pub(crate) use on_active_target;

pub(crate) struct Ctx<'a> {
    /// The session.
    pub(crate) session: &'a Arc<BrowserSession>,
    /// The active target.
    pub(crate) target: String,
    /// Its flat CDP session.
    pub(crate) cdp: String,
}

impl<'a> Ctx<'a> {
    pub(crate) async fn new(session: &'a Arc<BrowserSession>) -> Result<Ctx<'a>, Error> {
        let (target, cdp) = session.active().await?;
        Ok(Ctx { session, target, cdp })
    }

    pub(crate) async fn eval(&self, expression: &str) -> Result<Value, Error> {
        self.session.eval(&self.cdp, expression).await
    }

    /// `op`'s `value` of the element `r`.
    pub(crate) async fn read(&self, r: &str, op: &str, arg: Value) -> Result<Reading, Error> {
        Ok(Reading { value: self.ref_op(r, op, arg).await?["value"].clone() })
    }

    /// `op`'s text of the element `r`, cut at `max` characters (default 8000).
    pub(crate) async fn read_text(&self, r: &str, op: &str, max: Option<u64>) -> Result<(String, bool), Error> {
        let max = max.unwrap_or(8_000) as usize;
        let value = self.ref_op(r, op, Value::Null).await?["value"].as_str().unwrap_or("").to_owned();
        let truncated = value.chars().count() > max;
        Ok((value.chars().take(max).collect(), truncated))
    }

    pub(crate) async fn input(&self, method: &str, params: Value) -> Result<Value, Error> {
        self.session.call(method, params, Some(&self.cdp)).await
    }

    /// Runs `op` on the element `r` (`element_js::ELEMENT_OP`): unknown refs (never
    /// issued) and stale refs (issued, but gone from the page) are told apart.
    pub(crate) async fn ref_op(&self, r: &str, op: &str, arg: Value) -> Result<Value, Error> {
        let args = [json!(op), arg];
        let function = crate::element_js::ELEMENT_OP;
        let mut result =
            crate::frames::call_on_ref(self.session, &self.target, &self.cdp, r, function, &args, true).await?;
        if let (Some(frame), true) =
            (crate::frames::frame_of_ref(self.session, &self.target, r), result.get("x").is_some())
        {
            // In an iframe: its coordinates start at the iframe's content box.
            let (dx, dy) = crate::frames::offset(self.session, &self.cdp, &frame).await?;
            let shift = |v: &Value, d: f64| json!(v.as_f64().unwrap_or(0.0) + d);
            result["x"] = shift(&result["x"], dx);
            result["y"] = shift(&result["y"], dy);
        }
        if result["stale"] == true {
            return Err(crate::refs::stale(r));
        }
        Ok(result)
    }
}
