#!/usr/bin/env bash
# Benchmarks (not tests): hub vs direct CDP on the same Chromium (over HTTP and over the
# /channel), relay throughput and latency, event fan-in, lease hand-over, hub memory,
# extension size and pairing times, where a command's time goes inside the extension's
# worker, parallel agents in their own tabs, and our snapshot vs Playwright's ariaSnapshot.
# Prints a table and writes target/bench/results.json. `scripts/bench.sh --quick` is a
# short smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
EXTENSION_PROFILE=release scripts/build-extension.sh
cargo build -q --release -p hub -p bench
export OPENDEVBROWSER_HUB_BIN="$(pwd)/target/release/opendevbrowser-hub"
exec target/release/opendevbrowser-bench "$@"
