//! Where extension traffic goes: responses to the hub call or `/cdp` client waiting for
//! them, events to every hub subscriber and the `/cdp` client, and errors to `/cdp` clients
//! whose commands can no longer be answered.

use super::link::{response_result, ExtensionLink, Outgoing, Waiter};
use super::Relay;
use crate::error::CdpError;
use pairing::wire::{CdpEvent, CdpId, CdpResponse};
use serde_json::{json, Value};

impl Relay {
    /// Routes an extension response to whoever waits for it.
    pub(super) fn dispatch_response(&self, link: &ExtensionLink, response: CdpResponse) {
        let CdpId::Num(id) = response.id else {
            tracing::debug!("response with a non-hub id ignored");
            return;
        };
        match link.take_waiter(id) {
            Some(Waiter::Hub { method, reply }) => {
                let _ = reply.send(response_result(&method, response));
            }
            Some(Waiter::Client { client_conn, id, .. }) => {
                let mut frame = json!({"id": id});
                if let Some(result) = response.result {
                    frame["result"] = result;
                }
                if let Some(error) = response.error {
                    frame["error"] = error;
                }
                if let Some(s) = response.session_id {
                    frame["sessionId"] = Value::String(s);
                }
                self.send_to_client(client_conn, frame.to_string());
            }
            None => tracing::debug!(id, "response for an unknown or timed-out command ignored"),
        }
    }

    /// Fans an extension event out to hub subscribers and the `/cdp` client.
    pub(super) fn dispatch_event(&self, event: CdpEvent) {
        let mut frame = json!({"method": event.method, "params": event.params.clone().unwrap_or(json!({}))});
        if let Some(s) = event.session_id.as_deref().filter(|s| !s.is_empty()) {
            frame["sessionId"] = Value::String(s.to_owned());
        }
        let _ = self.0.events.send(event);
        let client = self.state().cdp_client.clone();
        if let Some((_, out)) = client {
            let _ = out.send(Outgoing::Text(frame.to_string()));
        }
    }

    fn send_to_client(&self, client_conn: u64, text: String) {
        let client = self.state().cdp_client.clone();
        if let Some((conn, out)) = client {
            if conn == client_conn {
                let _ = out.send(Outgoing::Text(text));
            }
        }
    }

    pub(super) fn answer_client_errors(&self, errors: Vec<(u64, CdpId, CdpError)>) {
        for (conn, id, error) in errors {
            let frame = json!({"id": id, "error": {"code": -32000, "message": error.to_string()}});
            self.send_to_client(conn, frame.to_string());
        }
    }
}
