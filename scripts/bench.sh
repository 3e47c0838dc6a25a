#!/usr/bin/env bash
# Benchmarks (not tests): hub vs direct CDP on the same Chromium (over HTTP and over the
# /channel), relay throughput and latency, event fan-in, lease hand-over, hub memory,
# extension size and pairing times, where a command's time goes inside the extension's
# worker, parallel agents in their own tabs, our snapshot vs Playwright's ariaSnapshot, the
# snapshot's fidelity on a corpus of pages (snapshot_fidelity: visible text, role+name
# against the browser's accessibility tree, Playwright's clickables), and MiniWoB++ tasks
# solved by scripted MCP agents through ours and through Playwright MCP (agent_tasks), and
# a managed launch on a throwaway vs a named, used profile (launch_profile), and a page load
# with no request rule vs 50 in force, managed and through the extension (request_rules), and
# a command's round trip to a fleet browser over wss:// vs a DevTools port vs direct CDP
# (remote_connect).
# Prints a table and writes target/bench/results.json. `scripts/bench.sh --quick` is a
# short smoke run; `--only <step>` runs one step.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
EXTENSION_PROFILE=release scripts/build-extension.sh
cargo build -q --release -p hub -p bench -p cli
export OPENDEVBROWSER_HUB_BIN="$(pwd)/target/release/opendevbrowser-hub"
export OPENDEVBROWSER_CLI_BIN="$(pwd)/target/release/opendevbrowser"
exec target/release/opendevbrowser-bench "$@"
