#!/usr/bin/env bash
# The main job: set up, build the extension, then run the hub in the foreground.
# Extra arguments go to `opendevbrowser-hub serve` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ -x scripts/build-extension.sh ]; then
  scripts/build-extension.sh
fi
cargo build --release -p hub -p cli
if [ -f extension/manifest.json ] && [ -d extension/pkg ]; then
  echo
  echo "Extension ready: load the unpacked folder $(pwd)/extension"
  echo "  (chrome://extensions → Developer mode → Load unpacked)"
fi
echo
echo "Binaries: $(pwd)/target/release/opendevbrowser (CLI, MCP server: \`opendevbrowser mcp\`)"
echo "          $(pwd)/target/release/opendevbrowser-hub (the hub alone)"
echo "  (or install the CLI on your PATH: cargo install --path crates/cli)"
echo
exec target/release/opendevbrowser-hub serve "$@"
