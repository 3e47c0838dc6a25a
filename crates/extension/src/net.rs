//! HTTP GETs from the service worker (or a page in tests), mapped to the pairing
//! machine's [`FetchFailure`]s, with a deadline so a hung server cannot stall pairing.

use pairing::FetchFailure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// How long one fetch may take.
pub const FETCH_TIMEOUT_MS: u32 = 4_000;

fn global_fetch(request: &Request) -> Result<js_sys::Promise, JsValue> {
    let global = js_sys::global();
    if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        return Ok(window.fetch_with_request(request));
    }
    Ok(global.unchecked_into::<web_sys::WorkerGlobalScope>().fetch_with_request(request))
}

/// GETs `url` and parses its JSON body into `T`.
pub async fn fetch_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, FetchFailure> {
    let controller = web_sys::AbortController::new().map_err(|_| FetchFailure::Unreachable)?;
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_signal(Some(&controller.signal()));
    let request = Request::new_with_str_and_init(url, &init).map_err(|_| FetchFailure::Unreachable)?;
    let abort = gloo_timers::callback::Timeout::new(FETCH_TIMEOUT_MS, move || controller.abort());
    let response = JsFuture::from(global_fetch(&request).map_err(|_| FetchFailure::Unreachable)?).await;
    drop(abort);
    let response: Response = response.map_err(|_| FetchFailure::Unreachable)?.unchecked_into();
    if !response.ok() {
        return Err(FetchFailure::Status(response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|_| FetchFailure::Unreachable)?)
        .await
        .map_err(|_| FetchFailure::Unreachable)?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| FetchFailure::Malformed(e.to_string()))
}
