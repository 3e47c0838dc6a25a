//! The table of CDP commands in flight on one connection: ids are allocated here, each
//! answer is matched to whoever waits for it, and everyone is failed at once when the
//! connection ends. Pure (no I/O, no locks, no time): the direct DevTools connection and
//! the hub's extension link each wrap one in a mutex, so there is one call table, not two.

use crate::CdpError;
use serde_json::Value;
use std::collections::HashMap;

/// Commands in flight; `W` is whoever waits for an answer.
#[derive(Debug)]
pub struct CallTable<W> {
    next_id: i64,
    pending: HashMap<i64, W>,
    closed: bool,
}

impl<W> Default for CallTable<W> {
    fn default() -> Self {
        CallTable { next_id: 1, pending: HashMap::new(), closed: false }
    }
}

impl<W> CallTable<W> {
    /// Registers `waiter` under a fresh id; `None` once the connection has ended.
    pub fn begin(&mut self, waiter: W) -> Option<i64> {
        if self.closed {
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(id, waiter);
        Some(id)
    }

    /// Whoever waits for `id` (an answer arrived, or the caller gave up).
    pub fn finish(&mut self, id: i64) -> Option<W> {
        self.pending.remove(&id)
    }

    /// The connection ended: every waiter, to be failed; later calls are refused.
    pub fn close(&mut self) -> Vec<W> {
        self.closed = true;
        self.pending.drain().map(|(_, w)| w).collect()
    }

    /// False once [`close`](Self::close)d.
    pub fn is_open(&self) -> bool {
        !self.closed
    }

    /// Commands in flight.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// True when nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

/// A CDP answer (`error` or `result`) as the caller's result.
pub fn answer(method: &str, error: Option<&Value>, result: Option<Value>) -> Result<Value, CdpError> {
    match error {
        Some(error) => Err(CdpError::Protocol {
            method: method.to_owned(),
            code: error.get("code").and_then(Value::as_i64),
            message: error.get("message").and_then(Value::as_str).map_or_else(|| error.to_string(), str::to_owned),
        }),
        None => Ok(result.unwrap_or(Value::Object(Default::default()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_reach_the_waiter_of_their_id_once() {
        let mut t = CallTable::default();
        let a = t.begin("a").unwrap();
        let b = t.begin("b").unwrap();
        assert_ne!(a, b);
        assert_eq!(t.finish(b), Some("b"));
        assert_eq!(t.finish(b), None, "a second answer to the same id is dropped");
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn closing_fails_everyone_in_flight_and_refuses_later_calls() {
        let mut t = CallTable::default();
        t.begin(1).unwrap();
        t.begin(2).unwrap();
        let mut failed = t.close();
        failed.sort();
        assert_eq!(failed, [1, 2]);
        assert!(t.is_empty() && !t.is_open());
        assert_eq!(t.begin(3), None);
    }

    #[test]
    fn a_cdp_error_keeps_its_code_and_message_and_an_empty_result_is_an_object() {
        let err = answer("X.y", Some(&json!({"code": -32000, "message": "nope"})), None).unwrap_err();
        assert_eq!(err, CdpError::Protocol { method: "X.y".into(), code: Some(-32000), message: "nope".into() });
        assert_eq!(answer("X.y", None, None).unwrap(), json!({}));
    }
}
