//! One typed method per daemon command, generated from the contract's
//! `for_each_command!`: `client.nav_goto(&session, Goto { url, ..Default::default() })`
//! sends `nav.goto` and returns its `Navigated`. Hub-wide commands take only their params;
//! session commands take the `sessionId` first. [`HubClient::run`] is the generic form.
//!
//! These are the raw commands: [`HubClient::bind`] and friends also keep the binding this
//! client holds in step, and [`HubClient::call`] sends untyped JSON.

use crate::client::HubClient;
use crate::error::ClientError;
use opendevbrowser_api::{envelope, Command};
use serde_json::Value;

impl HubClient {
    /// Runs command `C` (in browser session `session_id`, for session commands) and reads
    /// its result as `C::Output`.
    pub async fn run<C: Command>(&self, session_id: Option<&str>, command: &C) -> Result<C::Output, ClientError> {
        let params = match serde_json::to_value(command) {
            Ok(Value::Object(map)) => map.into_iter().filter(|(_, v)| !v.is_null()).collect(),
            _ => serde_json::Map::new(),
        };
        let mut params = params;
        if let Some(id) = session_id {
            params.insert(envelope::SESSION_ID.to_owned(), Value::String(id.to_owned()));
        }
        let data = self.call(C::NAME, Value::Object(params)).await?;
        serde_json::from_value(data)
            .map_err(|e| ClientError::Protocol(format!("`{}` answered a result this client cannot read: {e}", C::NAME)))
    }
}

macro_rules! typed_method {
    (hub $ty:path => $method:ident) => {
        #[doc = concat!("Runs [`", stringify!($ty), "`] (see its docs for what it does and answers).")]
        pub async fn $method(&self, params: $ty) -> Result<<$ty as Command>::Output, ClientError> {
            self.run(None, &params).await
        }
    };
    (session $ty:path => $method:ident) => {
        #[doc = concat!("Runs [`", stringify!($ty), "`] in browser session `session_id`.")]
        pub async fn $method(&self, session_id: &str, params: $ty) -> Result<<$ty as Command>::Output, ClientError> {
            self.run(Some(session_id), &params).await
        }
    };
}

macro_rules! typed_methods {
    ($($kind:ident $ty:path => $method:ident;)*) => {
        /// The typed commands.
        impl HubClient {
            $( typed_method!($kind $ty => $method); )*
        }
    };
}
opendevbrowser_api::for_each_command!(typed_methods);
