#!/usr/bin/env bash
# Soak (not a test): N tab agents (`opendevbrowser mcp --scope tab`, official Python MCP
# SDK) loop navigate / snapshot / type / select / click / evaluate / back in the user's
# Chrome (the real extension in headless Chromium) while faults come on a schedule: the
# extension's service worker stopped (every 45 s), the hub killed with SIGKILL (every 60 s;
# the agents' client library starts a new one), one agent's tab closed from outside (once),
# and malformed requests sent to the hub (every 20 s). Every result is checked on the page
# itself over Chromium's own DevTools port, not through the hub. Prints, per agent:
# availability (share of calls that worked, outside a 3 s window after each fault), the
# longest recovery after each kind of fault, wrong results and browser switches; then what
# is left at the end (tabs, tab groups, managed browsers, profile folders, the hub's fds
# and RSS). Loopback only; bounded by --minutes (and a hard timeout).
#
# usage: scripts/soak.sh [--minutes N (5)] [--agents N (4)]
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=5
AGENTS=4
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --agents) AGENTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)"; exit 1 ;;
  esac
done
scripts/setup.sh >/dev/null
EXTENSION_PROFILE=release scripts/build-extension.sh >/dev/null
cargo build -q --release -p hub -p cli
# One run at a time on this machine (the e2e tests take the same lock): the extension
# pairs with whatever hub owns 127.0.0.1:8787.
exec 9>"${TMPDIR:-/tmp}/opendevbrowser-e2e.lock"
flock 9
if ss -ltn 2>/dev/null | grep -q '127.0.0.1:8787 '; then
  echo "[soak] something already listens on 127.0.0.1:8787 (a hub?): stop it first" >&2
  exit 1
fi
export SOAK_ROOT="$(pwd)"
export SOAK_MINUTES="$MINUTES" SOAK_AGENTS="$AGENTS"
HARD_LIMIT=$(( MINUTES * 60 + 300 ))
exec timeout "$HARD_LIMIT" .venv-test/bin/python - <<'PY'
import asyncio, base64, json, os, random, re, shutil, signal, socket, struct, subprocess, sys, tempfile, time
from contextlib import AsyncExitStack

ROOT = os.environ["SOAK_ROOT"]
sys.path.insert(0, os.path.join(ROOT, "tests/mcp"))
from checks import agent as start_agent, text_of  # noqa: E402

MINUTES = float(os.environ["SOAK_MINUTES"])
AGENTS = int(os.environ["SOAK_AGENTS"])
EXT_ID = "mpkgehknfgpdeghekbkgbgcfcihhfejp"
WINDOW = 3.0  # seconds after a fault not counted in availability
SCHEDULE = {"worker_stop": 45, "hub_kill": 60, "bad_requests": 20}

WORK = tempfile.mkdtemp(prefix="opendevbrowser-soak-")
os.environ["OPENDEVBROWSER_CACHE_DIR"] = os.path.join(WORK, "cache")
os.environ["OPENDEVBROWSER_CONFIG_DIR"] = os.path.join(WORK, "config")
os.environ["OPENDEVBROWSER_HUB_BIN"] = os.path.join(ROOT, "target/release/opendevbrowser-hub")
CLI = os.path.join(ROOT, "target/release/opendevbrowser")

PAGE = """<!doctype html><html><head><title>Soak</title></head><body><h1>Soak</h1>
<label for=name>Name</label> <input id=name>
<label for=color>Color</label> <select id=color><option>red</option><option>blue</option><option>green</option></select>
<button id=go onclick="document.getElementById('out').textContent = document.getElementById('name').value + '/' + document.getElementById('color').value">Go</button>
<p id=out></p><a href="two.html">next</a></body></html>"""


# --- a minimal WebSocket client (stdlib only) for Chromium's own DevTools port ---------

class Ws:
    def __init__(self, url, headers=()):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=20)
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
        self.sock.sendall((f"GET {m.group(3)} HTTP/1.1\r\nHost: {m.group(1)}:{m.group(2)}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError(head.split(b"\r\n")[0].decode())
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else
                                bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 8:
                raise ConnectionError("closed by the peer")
            if op in (1, 2, 0):
                message += payload
                if b0 & 0x80:
                    return message.decode(errors="replace")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Cdp:
    """Chromium's own DevTools endpoint: not the hub, not the extension."""

    def __init__(self, port):
        import urllib.request
        version = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=10))
        self.ws = Ws(version["webSocketDebuggerUrl"])
        self.next = 0

    def call(self, method, params=None, session=None):
        self.next += 1
        msg = {"id": self.next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == self.next:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def evaluate_in(self, target, expression):
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                          session)
            return r["result"].get("value")
        finally:
            self.call("Target.detachFromTarget", {"sessionId": session})

    def targets(self):
        return self.call("Target.getTargets")["targetInfos"]

    def worker(self):
        prefix = f"chrome-extension://{EXT_ID}/"
        return next((t for t in self.targets() if t["type"] == "service_worker" and t["url"].startswith(prefix)), None)

    def close(self):
        self.ws.close()


def devtools(fn):
    cdp = Cdp(BROWSER_PORT)
    try:
        return fn(cdp)
    finally:
        cdp.close()


# --- the world: a site, Chromium with the extension -------------------------------------

def start_site():
    site = os.path.join(WORK, "site")
    os.makedirs(site)
    open(os.path.join(site, "page.html"), "w").write(PAGE)
    open(os.path.join(site, "two.html"), "w").write("<!doctype html><title>Two</title><h1>Two</h1>")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)], cwd=site,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


def chromium_binary():
    for p in [os.environ.get("CHROMIUM", ""), "/usr/lib/chromium/chromium", "/usr/bin/chromium"]:
        if p and os.path.exists(p):
            return p
    raise SystemExit("Chromium not found: run scripts/setup.sh")


def start_browser(url):
    profile = os.path.join(WORK, "chromium")
    ext = os.path.join(ROOT, "extension")
    proc = subprocess.Popen([chromium_binary(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update", "--disable-sync",
                             "--disable-dev-shm-usage", "--remote-debugging-port=0", f"--user-data-dir={profile}",
                             f"--load-extension={ext}", f"--disable-extensions-except={ext}", url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    active = os.path.join(profile, "DevToolsActivePort")
    for _ in range(300):
        if os.path.exists(active):
            text = open(active).read().split()
            if text:
                return proc, int(text[0])
        time.sleep(0.1)
    raise SystemExit("Chromium did not open its DevTools port")


def hub_meta():
    try:
        return json.load(open(os.path.join(WORK, "cache", "daemon.json")))
    except (OSError, ValueError):
        return None


# --- agents ------------------------------------------------------------------------------

class Record:
    def __init__(self, name):
        self.name, self.calls, self.wrong, self.switches, self.notes = name, [], 0, 0, []

    def call(self, started, ok, code=""):
        self.calls.append((started, ok, code, time.monotonic()))


async def run_agent(i, site, deadline, records, tabs):
    rec = records[i]
    name = f"soak-{i}"
    async with AsyncExitStack() as stack:
        session = await start_agent(stack, CLI, ["--mode", "extension", "--scope", "tab", "--wait-ms", "30000"], name)

        async def tool(tool_name, args=None):
            started = time.monotonic()
            try:
                result = await asyncio.wait_for(session.call_tool(tool_name, args or {}), 60)
            except Exception as e:  # the server process died, a timeout
                rec.call(started, False, f"exception:{type(e).__name__}")
                return None
            text = text_of(result)
            if result.is_error:
                code = text.split(":", 1)[0]
                rec.call(started, False, code)
                if code not in ("extension_disconnected", "extension_not_connected", "outcome_unknown",
                                "session_lost", "tab_closed"):
                    rec.notes.append(f"{tool_name}: {text[:300]}")
                return None
            rec.call(started, True)
            if '"browser":"a managed' in text or "managed Chromium" in text[:200]:
                rec.switches += 1
            return text

        k = 0
        while time.monotonic() < deadline:
            k += 1
            marker = f"agent={i}&n={k}"
            if await tool("browser_navigate", {"url": f"{site}/page.html?{marker}"}) is None:
                await asyncio.sleep(0.2)
                continue
            found = await asyncio.to_thread(devtools, lambda c: [t for t in c.targets()
                                                                  if t["type"] == "page" and marker in t["url"]])
            if len(found) != 1:
                rec.wrong += 1
                rec.notes.append(f"{marker}: {len(found)} tabs show it")
                continue
            tabs[i] = found[0]["targetId"]
            outline = await tool("browser_snapshot")
            if outline is None:
                continue
            refs = {}
            for needle, key in (('textbox "Name"', "name"), ('combobox "Color"', "color"), ('button "Go"', "go")):
                line = next((l for l in outline.splitlines() if needle in l), "")
                m = re.search(r"\[(r\d+)\]", line)
                if m:
                    refs[key] = m.group(1)
            if len(refs) < 3:
                rec.wrong += 1
                rec.notes.append(f"{marker}: snapshot without the form")
                continue
            value, color = f"v{i}-{k}", ["red", "blue", "green"][k % 3]
            if await tool("browser_type", {"ref": refs["name"], "text": value}) is None:
                continue
            if await tool("browser_select_option", {"ref": refs["color"], "values": [color]}) is None:
                continue
            if await tool("browser_click", {"ref": refs["go"]}) is None:
                continue
            said = await tool("browser_evaluate", {"expression": "document.getElementById('out').textContent"})
            if said is None:
                continue
            want = f"{value}/{color}"
            try:
                page = await asyncio.to_thread(devtools, lambda c: c.evaluate_in(
                    tabs[i], "document.getElementById('out').textContent"))
            except Exception as e:
                page = f"unreadable ({e})"
            if json.loads(said).get("value") != want or page != want:
                rec.wrong += 1
                rec.notes.append(f"{marker}: agent said {said}, page shows {page!r}, wanted {want!r}")
            if k % 4 == 0:
                await tool("browser_navigate", {"url": f"{site}/two.html?{marker}"})
                await tool("browser_navigate_back")


# --- faults ------------------------------------------------------------------------------

def relay_status():
    import urllib.request
    try:
        return json.load(urllib.request.urlopen("http://127.0.0.1:8787/status", timeout=2))
    except Exception:
        return {}


def stop_worker():
    def go(c):
        w = c.worker()
        if w:
            c.call("Target.closeTarget", {"targetId": w["targetId"]})
    devtools(go)


async def paired_again(since_seen, stopped_at, repairs):
    """Records when the extension pairs again after a worker stop (its service worker is
    started again by Chrome on its next event or its 30 s alarm: not the hub's doing)."""
    while True:
        s = await asyncio.to_thread(relay_status)
        if s.get("extensionHandshakeComplete") and s.get("extensionLastSeenAt") != since_seen:
            repairs.append((stopped_at, time.monotonic()))
            return
        await asyncio.sleep(0.1)


def kill_hub():
    meta = hub_meta()
    if meta:
        try:
            os.kill(meta["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass


def close_tab(target):
    if target:
        devtools(lambda c: c.call("Target.closeTarget", {"targetId": target}))


def bad_requests(answered):
    meta = hub_meta()
    if not meta:
        return
    port, token = meta["port"], meta["token"]
    cases = [b'{"name":"relay.status","par', b"[" * 20000, b"[1,2]"]
    for body in cases:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(f"POST /command HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                          f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
                reply = s.recv(65536).decode(errors="replace")
            answered.append(" 400 " in reply.split("\r\n")[0] and "invalid_request" in reply)
        except ConnectionRefusedError:
            return  # no hub at this moment (it was just killed): nothing to judge
        except OSError:
            answered.append(False)
    try:
        ws = Ws(f"ws://127.0.0.1:{port}/channel", [("Authorization", f"Bearer {token}")])
        ws.send("{\"id\":1,")
        answered.append("invalid_request" in ws.recv())
        ws.close()
    except (OSError, ConnectionError):
        answered.append(False)


async def faults(deadline, log, tabs, answered, repairs):
    start = time.monotonic()
    next_at = {kind: start + every for kind, every in SCHEDULE.items()}
    tab_close_at = start + (deadline - start) / 3
    last_disruption = start
    while time.monotonic() < deadline - 5:
        now = time.monotonic()
        for kind, at in next_at.items():
            if now >= at:
                if kind in ("worker_stop", "hub_kill"):
                    # One disruption at a time: each is measured on its own, so the next
                    # waits until the extension is paired again and 10 s have passed.
                    if now - last_disruption < 10 or not (await asyncio.to_thread(relay_status)).get(
                            "extensionHandshakeComplete"):
                        continue
                    last_disruption = now
                next_at[kind] = at + SCHEDULE[kind]
                try:
                    if kind == "worker_stop":
                        seen = (await asyncio.to_thread(relay_status)).get("extensionLastSeenAt")
                        await asyncio.to_thread(stop_worker)
                        asyncio.ensure_future(paired_again(seen, time.monotonic(), repairs))
                    elif kind == "hub_kill":
                        kill_hub()
                    else:
                        await asyncio.to_thread(bad_requests, answered)
                    log.append((time.monotonic(), kind))
                except Exception as e:
                    print(f"[soak] {kind} failed: {e}", file=sys.stderr)
        if tab_close_at and now >= tab_close_at and tabs.get(0):
            tab_close_at = None
            await asyncio.to_thread(close_tab, tabs[0])
            log.append((time.monotonic(), "tab_closed"))
        await asyncio.sleep(0.2)


# --- report ------------------------------------------------------------------------------

def report(records, log, answered, repairs, leftovers, started, ended):
    # (when the fault hit, when recovery can start, kind): after a worker stop, recovery
    # counts from when the extension paired again; until then Chrome had not restarted the
    # worker, which no hub can hasten. Calls between the fault and 3 s after recovery could
    # start are outside availability.
    faults_of = []
    for t, kind in log:
        base = next((p for s, p in repairs if abs(s - t) < 2), t) if kind == "worker_stop" else t
        faults_of.append((t, base, kind))
    print(f"\nsoak: {MINUTES:g} min, {AGENTS} tab agents; faults: "
          + ", ".join(f"{k} ×{sum(1 for _, _, x in faults_of if x == k)}" for k in
                      ["worker_stop", "hub_kill", "tab_closed", "bad_requests"]))
    print(f"malformed requests answered with invalid_request: {sum(answered)}/{len(answered)}")
    if repairs:
        waits = [p - s for s, p in repairs]
        print(f"worker stop → extension paired again (Chrome restarting the worker): "
              f"{min(waits):.1f}–{max(waits):.1f} s; recovery below counts from the pairing")
    print("| agent | calls | availability | longest recovery: worker stop / hub kill / tab closed | wrong | switches |")
    print("|---|---|---|---|---|---|")
    for rec in records:
        # A call counts unless it overlapped a fault's window (in flight when it hit, or
        # started before recovery could begin + 3 s).
        outside = [(t, ok) for t, ok, _, end in rec.calls
                   if not any(t < b + WINDOW and end >= f for f, b, kind in faults_of if kind != "bad_requests")]
        avail = 100.0 * sum(ok for _, ok in outside) / max(1, len(outside))
        worst = {}
        for f, b, kind in faults_of:
            if kind == "bad_requests":
                continue
            after = [t for t, ok, _, _ in rec.calls if ok and t >= b]
            recovery = (min(after) - b) if after else ended - b
            worst[kind] = max(worst.get(kind, 0.0), recovery)
        cell = " / ".join(f"{worst[k]:.1f} s" if k in worst else "—" for k in ["worker_stop", "hub_kill", "tab_closed"])
        print(f"| {rec.name} | {len(rec.calls)} | {avail:.1f} % | {cell} | {rec.wrong} | {rec.switches} |")
    codes = {}
    for rec in records:
        for _, ok, code, _ in rec.calls:
            if not ok:
                codes[code] = codes.get(code, 0) + 1
    print("failed calls by code: " + (", ".join(f"{c} {n}" for c, n in sorted(codes.items())) or "none"))
    for rec in records:
        for note in rec.notes[:5]:
            print(f"  {rec.name}: {note}")
    print("left at the end: " + ", ".join(f"{k} {v}" for k, v in leftovers.items()))


def leftovers_now(tabs_before):
    out = {}
    try:
        pages = devtools(lambda c: [t for t in c.targets() if t["type"] == "page"])
        out["tabs (beyond the user's)"] = len(pages) - tabs_before

        def groups(c):
            w = c.worker()
            return c.evaluate_in(w["targetId"], "chrome.tabGroups.query({}).then(g => g.length)") if w else "?"
        out["tab groups"] = devtools(groups)
    except Exception as e:
        out["browser"] = f"unreadable ({e})"
    procs, folders = 0, 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ")
        except OSError:
            continue
        if b"opendevbrowser-profile-" in cmd and b"--type=" not in cmd:
            procs += 1
    folders = len([d for d in os.listdir(tempfile.gettempdir()) if d.startswith("opendevbrowser-profile-")])
    out["managed browsers"] = procs
    out["profile folders"] = folders
    meta = hub_meta()
    if meta:
        try:
            out["hub fds"] = len(os.listdir(f"/proc/{meta['pid']}/fd"))
            rss = next(l for l in open(f"/proc/{meta['pid']}/status") if l.startswith("VmRSS"))
            out["hub RSS"] = f"{int(rss.split()[1]) / 1024:.1f} MiB"
        except (OSError, StopIteration):
            out["hub"] = "gone"
    return out


async def main():
    global BROWSER_PORT
    site_proc, site = start_site()
    browser, BROWSER_PORT = start_browser(site + "/two.html")
    try:
        subprocess.run([CLI, "ensure"], check=True, stdout=subprocess.DEVNULL)
        tabs_before = len(devtools(lambda c: [t for t in c.targets() if t["type"] == "page"]))
        started = time.monotonic()
        deadline = started + MINUTES * 60
        records = [Record(f"soak-{i}") for i in range(AGENTS)]
        log, tabs, answered, repairs = [], {}, [], []
        await asyncio.gather(faults(deadline, log, tabs, answered, repairs),
                             *(run_agent(i, site, deadline, records, tabs) for i in range(AGENTS)))
        ended = time.monotonic()
        await asyncio.sleep(3)  # the agents' processes are gone: what they held is let go
        report(records, log, answered, repairs, leftovers_now(tabs_before), started, ended)
    finally:
        for _ in range(3):  # a hub an agent restarted meanwhile too
            meta = hub_meta()
            if meta:
                try:
                    os.kill(meta["pid"], signal.SIGTERM)
                except ProcessLookupError:
                    pass
            time.sleep(0.5)
        browser.terminate()
        site_proc.terminate()
        browser.wait(10)
        shutil.rmtree(WORK, ignore_errors=True)


BROWSER_PORT = 0
asyncio.run(main())
PY
