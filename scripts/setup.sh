#!/usr/bin/env bash
# Installs everything the build and the tests need. Idempotent: a second run does nothing.
#   - Debian's chromium + chromium-driver (headless browser for wasm and end-to-end tests),
#     and xvfb (a virtual display for the headed background-tab tests)
#   - python3 (scripts/check_layering.py), and a .venv-test with the Python MCP SDK
#     (a real MCP client for tests/mcp_e2e.rs)
#   - Node.js, and playwright-core + puppeteer-core + har-validator + @paulirish/trace_engine in
#     tests/cdp_clients/node_modules
#     (real third-party CDP clients for tests/cdp_clients_e2e.rs; no browser download)
#   - OpenSSL's headers (TLS for wss:// remote browsers) and the Browserless fleet server in
#     tests/fleet/node_modules (a real fleet on loopback for tests/remote_e2e.rs)
#   - the agent-task suite's third-party parts: the MiniWoB++ task pages (PyPI `miniwob`,
#     into .venv-test) and Playwright MCP (npm `@playwright/mcp`, in tests/agents/node_modules,
#     pointed at the system Chromium; no browser download)
#   - the wasm32-unknown-unknown Rust target, and the macOS and Windows std targets that
#     the test command type-checks the workspace against
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock
# Deliberately NOT Debian's binaryen: its wasm-opt 108 miscompiles wasm-bindgen output.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root to run: $*"; exit 1
  fi
}

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v python3 >/dev/null; then
  say "installing chromium, chromium-driver and python3 with apt (about 30 s)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq chromium chromium-driver python3 >/dev/null
else
  say "chromium $(chromium --version 2>/dev/null | awk '{print $2}') already installed"
fi

# TLS for wss:// remote browsers (native-tls builds against OpenSSL on Linux); openssl also
# makes the test certificates.
if ! command -v openssl >/dev/null || ! pkg-config --exists openssl 2>/dev/null; then
  say "installing openssl, libssl-dev and pkg-config with apt"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq openssl libssl-dev pkg-config >/dev/null
fi

# A virtual display: the background-tab tests also run a headed Chromium.
if ! command -v xvfb-run >/dev/null; then
  say "installing xvfb with apt"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq xvfb xauth >/dev/null
fi

for target in wasm32-unknown-unknown x86_64-apple-darwin x86_64-pc-windows-msvc; do
  if ! rustup target list --installed | grep -qx "$target"; then
    say "adding the $target target"
    rustup target add "$target"
  fi
done

[ -f Cargo.lock ] || cargo generate-lockfile -q
wb_ver=$(cargo pkgid -q wasm-bindgen | sed 's/.*[@#]//')
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_ver" ]; then
  say "installing wasm-bindgen-cli $wb_ver (about 2 min on a fresh machine)"
  # --locked fails today (the CLI's lockfile pins a crate the registry no longer serves).
  cargo install -q --locked wasm-bindgen-cli --version "$wb_ver" 2>/dev/null \
    || cargo install -q wasm-bindgen-cli --version "$wb_ver"
else
  say "wasm-bindgen-cli $wb_ver already installed"
fi
# The Python MCP SDK: a real MCP client by someone else, for tests/mcp_e2e.rs.
mcp_ver=2.3.0
if [ "$(.venv-test/bin/python -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null)" != "$mcp_ver" ]; then
  say "installing the Python MCP SDK $mcp_ver into .venv-test (about 20 s)"
  python3 -m venv .venv-test 2>/dev/null || { as_root apt-get install -y -qq python3-venv >/dev/null; python3 -m venv .venv-test; }
  .venv-test/bin/pip install -q --disable-pip-version-check "mcp==$mcp_ver"
else
  say "Python MCP SDK $mcp_ver already in .venv-test"
fi
# Playwright and Puppeteer: real CDP clients by someone else, for tests/cdp_clients_e2e.rs.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "installing nodejs and npm with apt"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq nodejs npm >/dev/null
fi
stamp=tests/cdp_clients/node_modules/.installed-from
if ! cmp -s tests/cdp_clients/package-lock.json "$stamp" 2>/dev/null; then
  say "installing playwright-core, puppeteer-core, har-validator and the DevTools trace engine into tests/cdp_clients (about 12 s)"
  (cd tests/cdp_clients && npm ci --no-audit --no-fund --silent)
  cp tests/cdp_clients/package-lock.json "$stamp"
else
  say "playwright-core, puppeteer-core and har-validator already in tests/cdp_clients"
fi
# MiniWoB++ (a public web-agent benchmark): its HTML task pages, for the agent-task suite
# (tests/agents, tests/agent_tasks_e2e.rs, scripts/bench.sh --only agent_tasks|snapshot_fidelity).
# Only the pages are used, so not its dependencies (gymnasium, selenium, numpy, pillow).
miniwob_ver=1.1.0
if [ "$(.venv-test/bin/python -c 'import importlib.metadata as m; print(m.version("miniwob"))' 2>/dev/null)" != "$miniwob_ver" ]; then
  say "installing the MiniWoB++ pages (miniwob $miniwob_ver) into .venv-test"
  .venv-test/bin/pip install -q --disable-pip-version-check --no-deps "miniwob==$miniwob_ver"
else
  say "miniwob $miniwob_ver already in .venv-test"
fi
# Playwright MCP: the MCP server the agent-task suite compares ours with (on our Chromium).
stamp=tests/agents/node_modules/.installed-from
if ! cmp -s tests/agents/package-lock.json "$stamp" 2>/dev/null; then
  say "installing @playwright/mcp into tests/agents (about 10 s)"
  (cd tests/agents && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
  cp tests/agents/package-lock.json "$stamp"
else
  say "@playwright/mcp already in tests/agents"
fi
# Browserless: a real browser fleet, run on loopback against the system Chromium by
# tests/remote_e2e.rs and the bench (tests/support/fleet.rs starts it). Its size (about
# 580 MB, 5 copies of playwright-core) is its own; no browser is downloaded.
stamp=tests/fleet/node_modules/.installed-from
if ! cmp -s tests/fleet/package-lock.json "$stamp" 2>/dev/null; then
  say "installing the Browserless fleet server into tests/fleet (about 45 s)"
  (cd tests/fleet && PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
  cp tests/fleet/package-lock.json "$stamp"
else
  say "Browserless already in tests/fleet"
fi
say "ready"
