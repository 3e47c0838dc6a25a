//! Daemon RPC bodies: `{name, params}` parsing, the caller's identity, and every
//! command's params (read with the contract's rules) never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opendevbrowser_api::command::parse;

macro_rules! parse_all {
    ($($kind:ident $ty:path => $method:ident;)*) => {
        fn parse_every_command(params: &serde_json::Map<String, serde_json::Value>) {
            $( let _ = parse::<$ty>(params); )*
        }
    };
}
opendevbrowser_api::for_each_command!(parse_all);

fuzz_target!(|data: &[u8]| {
    if let Ok((name, params)) = hub::rpc::parse_command(data) {
        assert!(!name.trim().is_empty());
        let _ = hub::rpc::owner(&params);
        parse_every_command(&params);
    }
});
