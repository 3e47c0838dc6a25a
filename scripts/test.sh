#!/usr/bin/env bash
# Runs every test: formatting, lints, native unit/integration tests, wasm tests in
# headless Chromium, and the end-to-end tests with the real extension.
# Installs what it needs first (scripts/setup.sh), so it works on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s (at %d min %02d s) ===\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }

step "setup"
scripts/setup.sh

export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (native, all targets; extension core for wasm32)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p extension --target wasm32-unknown-unknown --all-targets -- -D warnings

step "the workspace compiles and lints clean for macOS and Windows (incl. their peer-user checks)"
cargo clippy -q --workspace --target x86_64-apple-darwin -- -D warnings
cargo clippy -q --workspace --target x86_64-pc-windows-msvc -- -D warnings

step "layering: no file-level import cycle inside any crate"
python3 scripts/check_layering.py

step "coverage: every command has an end-to-end test in every mode it supports"
python3 scripts/coverage_table.py --check

step "fuzz targets: built in the background (niced) while the tests below run"
mkdir -p target
nice -n 19 scripts/fuzz.sh build > target/fuzz-build.log 2>&1 &
fuzz_build=$!
trap 'kill "$fuzz_build" 2>/dev/null || true' EXIT

step "native tests (pairing, hub incl. simulated-extension fault tests, extension router)"
cargo test --workspace --exclude system-tests

step "wasm tests in headless Chromium: pairing rules"
cargo test -p pairing --target wasm32-unknown-unknown --test rules

step "wasm tests in headless Chromium: extension core"
cargo test -p extension --target wasm32-unknown-unknown --test router --test web

step "build the extension and the hub for the end-to-end tests"
EXTENSION_PROFILE=release scripts/build-extension.sh
cargo build -q -p hub -p cli

step "end-to-end: real hub + real extension in headless Chromium + real page"
cargo test -p system-tests -- --test-threads=1

step "end-to-end, headed Chromium on a virtual display: agents in background tabs"
E2E_HEADED=1 xvfb-run -a cargo test -p system-tests --test background_tabs_e2e

step "mutation check: hubs with a deliberately broken nav.wait or interact.select must fail end-to-end tests"
MUTATION_SKIP_BASELINE=1 MUTATION_FIRST_KILL=1 scripts/mutation_check.sh

step "fuzz: a short run of every parser target (longer: FUZZ_SECONDS=600 scripts/fuzz.sh)"
if ! wait "$fuzz_build"; then
  cat target/fuzz-build.log
  echo "the fuzz targets did not build"
  exit 1
fi
cat target/fuzz-build.log
FUZZ_SECONDS="${FUZZ_SECONDS:-10}" scripts/fuzz.sh run

step "all tests passed"
