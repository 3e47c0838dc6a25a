//! Typed reads of the call envelope (`clientId`, `bindingId`, `sessionId`, …), each
//! failing with an `invalid_param` error that names the parameter and what it must be.
//! A command's own params are read by the contract (`opendevbrowser_api::command::parse`).

use crate::error::HubError;
use serde_json::{Map, Value};

/// A command's `params` object.
pub(crate) type Params = Map<String, Value>;

/// A required non-blank string.
pub(crate) fn req_str<'a>(params: &'a Params, name: &str) -> Result<&'a str, HubError> {
    match params.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) => Err(HubError::param(name, "must not be blank")),
        Some(_) => Err(HubError::param(name, "must be a string")),
        None => Err(HubError::param(name, "is required")),
    }
}

/// An optional string (`null` counts as absent).
pub(crate) fn opt_str<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, HubError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(HubError::param(name, "must be a string")),
    }
}

/// An optional non-negative integer, at most `max`.
pub(crate) fn opt_u64(params: &Params, name: &str, max: u64) -> Result<Option<u64>, HubError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n <= max => Ok(Some(n)),
            Some(_) => Err(HubError::param(name, format!("must be at most {max}"))),
            None => Err(HubError::param(name, "must be a non-negative integer")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(v: Value) -> Params {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn each_reader_names_the_parameter_and_the_problem() {
        let params = p(json!({"s": " ", "n": -1, "big": 10}));
        assert_eq!(req_str(&params, "s").unwrap_err().to_string(), "invalid parameter `s`: must not be blank");
        assert_eq!(req_str(&params, "x").unwrap_err().to_string(), "invalid parameter `x`: is required");
        assert!(opt_u64(&params, "n", 5).is_err());
        assert!(opt_u64(&params, "big", 5).unwrap_err().to_string().contains("at most 5"));
        assert_eq!(opt_str(&params, "missing").unwrap(), None);
    }
}
