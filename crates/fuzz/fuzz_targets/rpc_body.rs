//! Daemon RPC bodies: `{name, params}` parsing and every parameter reader never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((name, params)) = hub::rpc::parse_command(data) {
        assert!(!name.trim().is_empty());
        let _ = hub::commands::owner(&params);
        for key in ["method", "bindingId", "sessionId", "url", "ref"] {
            let _ = hub::params::req_str(&params, key);
            let _ = hub::params::opt_str(&params, key);
        }
        let _ = hub::params::opt_u64(&params, "timeoutMs", 300_000);
        let _ = hub::params::opt_bool(&params, "clear");
        let _ = hub::params::opt_object(&params, "params");
    }
});
