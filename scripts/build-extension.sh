#!/usr/bin/env bash
# Builds the extension's wasm core into extension/pkg (generated, not committed).
# Optional: WITH_WASM_OPT=1 shrinks it with npm binaryen (never Debian's: it miscompiles).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${EXTENSION_PROFILE:-release}"
flag=$([ "$profile" = release ] && echo --release || true)
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
