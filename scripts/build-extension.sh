#!/usr/bin/env bash
# Builds the extension's wasm core into extension/pkg (generated, not committed).
# Optional: WITH_WASM_OPT=1 shrinks it with npm binaryen (never Debian's: it miscompiles).
set -euo pipefail
cd "$(dirname "$0")/.."
# EXTENSION_PROFILE=release (default) builds with the size-tuned `wasm-release` profile.
case "${EXTENSION_PROFILE:-release}" in
  release) profile=wasm-release flag="--profile wasm-release" ;;
  *) profile=debug flag="" ;;
esac
echo "[build-extension] cargo build -p extension --target wasm32-unknown-unknown $flag"
cargo build -q -p extension --target wasm32-unknown-unknown $flag
rm -rf extension/pkg
wasm-bindgen --target web --no-typescript --out-dir extension/pkg \
  "target/wasm32-unknown-unknown/$profile/extension.wasm"
if [ "${WITH_WASM_OPT:-0}" = 1 ] && [ -x .tools/node_modules/.bin/wasm-opt ]; then
  .tools/node_modules/.bin/wasm-opt -Oz extension/pkg/extension_bg.wasm -o extension/pkg/extension_bg.wasm
fi
size=$(wc -c < extension/pkg/extension_bg.wasm)
gz=$(gzip -9 -c extension/pkg/extension_bg.wasm | wc -c)
echo "[build-extension] extension/pkg/extension_bg.wasm: $size bytes ($gz gzipped)"
echo "[build-extension] load unpacked: $(pwd)/extension (id mpkgehknfgpdeghekbkgbgcfcihhfejp)"
