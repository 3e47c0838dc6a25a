#!/usr/bin/env bash
# Runs every test: formatting, lints, native unit/integration tests, wasm tests in
# headless Chromium, and the end-to-end tests with the real extension.
# Installs what it needs first (scripts/setup.sh), so it works on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s ===\n' "$*"; }

step "setup"
scripts/setup.sh

export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (native, all targets)"
cargo clippy --workspace --all-targets -- -D warnings

step "native tests"
cargo test --workspace

step "wasm tests in headless Chromium: pairing"
cargo test -p pairing --target wasm32-unknown-unknown --test rules

step "all tests passed"
