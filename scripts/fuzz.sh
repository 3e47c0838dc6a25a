#!/usr/bin/env bash
# Fuzzes every wire and file parser with cargo-fuzz (nightly). A short run of each target
# by default (FUZZ_SECONDS=10, as in CI); longer runs by hand: FUZZ_SECONDS=600 scripts/fuzz.sh
# `scripts/fuzz.sh build` only builds the targets (the test command does that in the
# background while the end-to-end tests run), `scripts/fuzz.sh run` only runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-10}"
what="${1:-all}"
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "[fuzz] installing the nightly toolchain"; rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "[fuzz] installing cargo-fuzz (about 1 min)"; cargo install -q cargo-fuzz --version 0.13.2
fi
targets="extension_frame relay_frame cdp_frame rpc_body state_files access_headers"
if [ "$what" != run ]; then
  cargo +nightly fuzz build --fuzz-dir crates/fuzz -O 2>&1 | tail -n 2
fi
if [ "$what" = build ]; then exit 0; fi
# The built targets are run directly (`cargo fuzz run` would check the build again for each).
bin="crates/fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"
for t in $targets; do
  corpus="target/fuzz-corpus/$t"; mkdir -p "$corpus"
  "$bin/$t" "$corpus" \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
    | grep -E "stat::number_of_executed_units|Done|ERROR|panicked" | sed "s/^/[fuzz $t] /"
done
echo "[fuzz] all targets ran ${seconds}s without a crash"
