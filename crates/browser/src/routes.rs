//! A session's request rules (`network.route`): block, answer with a mock, or set request
//! headers, for the requests whose URL matches a glob (`*` any run of characters, `?` one)
//! or a regular expression, optionally only of some resource types (`Script`, `Fetch`,
//! `Image`, … as the browser names them). Pure: the session's event pump asks [`decide`]
//! about each request the browser paused (the `Fetch` domain) and answers as it says.
//!
//! Block and mock rules: the first that matches (in the order added) decides. Header rules
//! all apply (later ones win per header) to a request no block or mock rule took. Each
//! rule counts the requests it acted on.
//!
//! [`decide`]: RouteTable::decide

use crate::error::Error;
use std::collections::BTreeMap;

/// What a rule does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Fail the request as blocked by the client.
    Block,
    /// Answer it without the network.
    Mock {
        /// HTTP status.
        status: u16,
        /// Response headers.
        headers: BTreeMap<String, String>,
        /// Response body.
        body: Vec<u8>,
    },
    /// Send it with these request headers set (added or replaced).
    Headers(BTreeMap<String, String>),
}

impl Action {
    /// Its name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::Mock { .. } => "mock",
            Action::Headers(_) => "headers",
        }
    }
}

/// How a rule's pattern matches URLs.
#[derive(Debug, Clone)]
enum Matcher {
    Glob(String),
    Regex(regex::Regex),
}

impl Matcher {
    fn matches(&self, url: &str) -> bool {
        match self {
            Matcher::Glob(glob) => glob_matches(glob.as_bytes(), url.as_bytes()),
            Matcher::Regex(re) => re.is_match(url),
        }
    }
}

/// One rule.
#[derive(Debug, Clone)]
pub struct Route {
    /// `rule-<n>`.
    pub id: String,
    /// The pattern as given.
    pub pattern: String,
    /// Whether the pattern is a regular expression.
    pub regex: bool,
    matcher: Matcher,
    /// Only these resource types (any when empty), compared without case.
    pub resource_types: Vec<String>,
    /// What it does.
    pub action: Action,
    /// Requests it acted on.
    pub hits: u64,
}

/// What to do with one paused request.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Let it go on, with these headers if a header rule changed them.
    Continue(Option<BTreeMap<String, String>>),
    /// Fail it as blocked by the client.
    Fail,
    /// Answer it with this response.
    Fulfill {
        /// HTTP status.
        status: u16,
        /// Response headers.
        headers: BTreeMap<String, String>,
        /// Body.
        body: Vec<u8>,
    },
}

/// The session's rules.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
    next: u64,
}

impl RouteTable {
    /// Adds a rule; `invalid_param` for a regular expression that does not compile.
    pub fn add(
        &mut self,
        pattern: &str,
        regex: bool,
        resource_types: Vec<String>,
        action: Action,
    ) -> Result<&Route, Error> {
        let matcher = if regex {
            Matcher::Regex(
                regex::Regex::new(pattern)
                    .map_err(|e| Error::param("urlPattern", format!("not a regular expression: {e}")))?,
            )
        } else {
            Matcher::Glob(pattern.to_owned())
        };
        self.next += 1;
        let id = format!("rule-{}", self.next);
        self.routes.push(Route { id, pattern: pattern.to_owned(), regex, matcher, resource_types, action, hits: 0 });
        Ok(self.routes.last().expect("just pushed"))
    }

    /// Removes rule `id` (every rule when `None`); how many went.
    pub fn remove(&mut self, id: Option<&str>) -> usize {
        let before = self.routes.len();
        match id {
            Some(id) => self.routes.retain(|r| r.id != id),
            None => self.routes.clear(),
        }
        before - self.routes.len()
    }

    /// The rules, in the order added.
    pub fn rules(&self) -> &[Route] {
        &self.routes
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// What to do with a request for `url` of `resource_type` sent with `headers`; counts
    /// the hits of the rules that acted.
    pub fn decide(&mut self, url: &str, resource_type: &str, headers: &BTreeMap<String, String>) -> Decision {
        let applies = |r: &Route| {
            r.matcher.matches(url)
                && (r.resource_types.is_empty()
                    || r.resource_types.iter().any(|t| t.eq_ignore_ascii_case(resource_type)))
        };
        let taker = self.routes.iter_mut().find(|r| !matches!(r.action, Action::Headers(_)) && applies(r));
        if let Some(rule) = taker {
            rule.hits += 1;
            return match &rule.action {
                Action::Block => Decision::Fail,
                Action::Mock { status, headers, body } => {
                    Decision::Fulfill { status: *status, headers: headers.clone(), body: body.clone() }
                }
                Action::Headers(_) => unreachable!("header rules do not take requests"),
            };
        }
        let mut changed: Option<BTreeMap<String, String>> = None;
        for rule in self.routes.iter_mut().filter(|r| matches!(r.action, Action::Headers(_))) {
            if let (Action::Headers(set), true) = (&rule.action, applies(rule)) {
                rule.hits += 1;
                let out = changed.get_or_insert_with(|| headers.clone());
                for (name, value) in set {
                    out.retain(|k, _| !k.eq_ignore_ascii_case(name));
                    out.insert(name.clone(), value.clone());
                }
            }
        }
        Decision::Continue(changed)
    }
}

/// `Fetch.enable`'s params that pause every request of a tab for the rules to judge.
pub fn pause_every_request() -> serde_json::Value {
    serde_json::json!({"patterns": [{"urlPattern": "*"}]})
}

/// The CDP call that carries out `decision` for paused request `id`.
pub fn answer(decision: Decision, id: &str) -> (&'static str, serde_json::Value) {
    use serde_json::json;
    let pairs = |h: BTreeMap<String, String>| -> Vec<serde_json::Value> {
        h.into_iter().map(|(name, value)| json!({"name": name, "value": value})).collect()
    };
    match decision {
        Decision::Continue(None) => ("Fetch.continueRequest", json!({"requestId": id})),
        Decision::Continue(Some(h)) => ("Fetch.continueRequest", json!({"requestId": id, "headers": pairs(h)})),
        Decision::Fail => ("Fetch.failRequest", json!({"requestId": id, "errorReason": "BlockedByClient"})),
        Decision::Fulfill { status, headers, body } => (
            "Fetch.fulfillRequest",
            json!({"requestId": id, "responseCode": status, "responseHeaders": pairs(headers),
                "body": opendevbrowser_api::base64::encode(&body)}),
        ),
    }
}

/// `*` any run of characters (slashes included), `?` one character, the rest literally.
pub fn glob_matches(glob: &[u8], text: &[u8]) -> bool {
    let (mut g, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if g < glob.len() && (glob[g] == b'?' || glob[g] == text[t]) {
            g += 1;
            t += 1;
        } else if g < glob.len() && glob[g] == b'*' {
            star = Some(g);
            mark = t;
            g += 1;
        } else if let Some(s) = star {
            g = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    glob[g..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn decisions_become_fetch_calls() {
        let (m, p) = answer(Decision::Fail, "7");
        assert_eq!((m, p["errorReason"].as_str()), ("Fetch.failRequest", Some("BlockedByClient")));
        let (m, p) =
            answer(Decision::Fulfill { status: 201, headers: headers(&[("a", "b")]), body: b"ab".to_vec() }, "7");
        assert_eq!(m, "Fetch.fulfillRequest");
        assert_eq!(
            p,
            serde_json::json!({"requestId": "7", "responseCode": 201,
            "responseHeaders": [{"name": "a", "value": "b"}], "body": "YWI="})
        );
        assert_eq!(answer(Decision::Continue(None), "7").1, serde_json::json!({"requestId": "7"}));
    }

    #[test]
    fn globs_match_whole_urls() {
        assert!(glob_matches(b"*/api/*", b"http://a.test/api/users?x=1"));
        assert!(glob_matches(b"http://a.test/?.js", b"http://a.test/x.js"));
        assert!(!glob_matches(b"*/api/*", b"http://a.test/apis"));
        assert!(!glob_matches(b"*.js", b"http://a.test/x.json"));
        assert!(glob_matches(b"*", b""));
    }

    #[test]
    fn the_first_block_or_mock_rule_decides_and_counts() {
        let mut t = RouteTable::default();
        t.add("*.js", false, vec!["Script".into()], Action::Block).unwrap();
        let mock = Action::Mock {
            status: 200,
            headers: headers(&[("content-type", "application/json")]),
            body: b"{}".to_vec(),
        };
        t.add(r"/api/\d+$", true, vec![], mock).unwrap();
        assert_eq!(t.decide("http://a.test/app.js", "Script", &headers(&[])), Decision::Fail);
        assert_eq!(
            t.decide("http://a.test/app.js", "Fetch", &headers(&[])),
            Decision::Continue(None),
            "other types pass"
        );
        assert!(matches!(
            t.decide("http://a.test/api/7", "Fetch", &headers(&[])),
            Decision::Fulfill { status: 200, .. }
        ));
        assert_eq!(t.rules().iter().map(|r| r.hits).collect::<Vec<_>>(), [1, 1]);
        assert!(t.add("(", true, vec![], Action::Block).is_err(), "a bad regex is refused");
    }

    #[test]
    fn header_rules_all_apply_to_what_is_let_through() {
        let mut t = RouteTable::default();
        t.add("*", false, vec![], Action::Headers(headers(&[("X-Team", "a"), ("User-Agent", "bot")]))).unwrap();
        t.add("*/api/*", false, vec![], Action::Headers(headers(&[("X-Team", "b")]))).unwrap();
        let sent = headers(&[("user-agent", "Chrome"), ("accept", "*/*")]);
        let Decision::Continue(Some(out)) = t.decide("http://a.test/api/x", "Fetch", &sent) else { panic!() };
        assert_eq!(out, headers(&[("accept", "*/*"), ("User-Agent", "bot"), ("X-Team", "b")]));
        assert_eq!(t.remove(Some("rule-1")), 1);
        assert_eq!(t.remove(None), 1);
        assert!(t.is_empty());
    }
}
