"""The agent-task suite: MiniWoB++ tasks (the HTML pages of the `miniwob` PyPI package,
served from 127.0.0.1), each solved by a scripted agent (solvers.py) through an MCP
server driven with the official Python MCP SDK, the same agents against each server.

Per task: the agent opens the task page (browser_navigate); the harness starts the
episode with a fixed seed over its own DevTools connection to the same browser; the
agent reads the instruction from browser_snapshot and acts with MCP tools only; the
harness reads the reward (WOB_RAW_REWARD_GLOBAL) over its own connection, not through the
server under test. Prints one JSON line: per server, per task reward, calls, characters
received and time, and the totals.

usage: miniwob_suite.py --servers ours,playwright [--binary PATH] [--mode connect|managed|extension]
                        [--cdp-port N | --hub-pid N] [--tasks a,b,...] [--seed S] [--verbose]
  --mode connect: ours attaches to the browser on --cdp-port (browser_connect; not counted)
  --mode managed: ours starts its own Chromium; the harness finds its DevTools port as the
                  child of the hub process --hub-pid
  --mode extension: ours drives the browser on --cdp-port through its extension
  Playwright MCP always connects to --cdp-port (--cdp-endpoint).
"""

import argparse
import asyncio
import functools
import http.server
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import traceback
from contextlib import AsyncExitStack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cdp import Cdp  # noqa: E402
from servers import ToolError, open_agent  # noqa: E402
from solvers import SOLVERS, Stuck  # noqa: E402


def miniwob_html():
    spec = importlib.util.find_spec("miniwob")
    if spec is None:
        raise SystemExit("the miniwob package is missing from this Python: run scripts/setup.sh")
    return os.path.join(os.path.dirname(spec.origin), "html")


def serve(directory):
    """The task pages on a free port of 127.0.0.1 (a thread of this process)."""
    handler = functools.partial(QuietHandler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def managed_browser_port(hub_pid, deadline=20.0):
    """The DevTools port of the Chromium the hub process `hub_pid` started (Linux /proc)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                if ppid != hub_pid:
                    continue
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    args = f.read().decode(errors="replace").split("\0")
            except (OSError, ValueError, IndexError):
                continue
            profile = next((x.split("=", 1)[1] for x in args if x.startswith("--user-data-dir=")), None)
            if profile:
                try:
                    with open(os.path.join(profile, "DevToolsActivePort")) as f:
                        return int(f.readline().strip())
                except (OSError, ValueError):
                    pass
        time.sleep(0.1)
    raise SystemExit(f"no Chromium with a DevTools port under the hub process {hub_pid}")


class Harness:
    """The harness's own DevTools connection: starts episodes and reads rewards."""

    def __init__(self, cdp):
        self.cdp = cdp

    async def _session(self, url):
        for _ in range(100):
            targets = (await self.cdp.call("Target.getTargets"))["targetInfos"]
            page = next((t for t in targets if t["type"] == "page" and t["url"] == url), None)
            if page:
                attached = await self.cdp.call("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})
                return attached["sessionId"]
            await asyncio.sleep(0.05)
        raise RuntimeError(f"no tab shows {url}")

    async def start_episode(self, url, seed):
        session = await self._session(url)
        for _ in range(200):
            ready = await self.cdp.evaluate(
                session, "document.readyState === 'complete' && typeof core !== 'undefined' && !!core.cover_div")
            if ready:
                break
            await asyncio.sleep(0.02)
        # A fixed seed gives every server the same problem; the long limit keeps the task's
        # clock out of the comparison (time is reported separately).
        await self.cdp.evaluate(session, f"Math.seedrandom({json.dumps(seed)}); core.EPISODE_MAX_TIME = 60000; "
                                         "core.startEpisodeReal(); WOB_EPISODE_ID")
        return session

    async def reward(self, session, wait=True):
        read = "({done: WOB_DONE_GLOBAL, raw: WOB_RAW_REWARD_GLOBAL, reward: WOB_REWARD_GLOBAL, reason: WOB_REWARD_REASON})"
        value = {"done": False}
        for _ in range(60 if wait else 1):
            try:
                value = await self.cdp.evaluate(session, read, timeout=5)
            except (RuntimeError, asyncio.TimeoutError) as e:
                value = {"done": False, "reason": f"unreadable: {e}"}
            if value.get("done"):
                break
            await asyncio.sleep(0.05)
        try:
            await self.cdp.call("Target.detachFromTarget", {"sessionId": session})
        except RuntimeError:
            pass
        return value


async def run_server(kind, args, base, tasks, verbose):
    results = {}
    async with AsyncExitStack() as stack:
        out_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="agent-tasks-"))
        mode = args.mode if kind == "ours" else None
        agent = await open_agent(stack, kind, binary=args.binary, cdp_port=args.cdp_port, mode=mode, out_dir=out_dir)
        cdp = None
        for task in tasks:
            url = f"{base}/miniwob/{task}.html"
            calls, chars = agent.calls, agent.chars
            agent.log = []
            row = {}
            started = time.monotonic()
            harness_time = 0.0
            session = None
            try:
                await agent.navigate(url)
                if cdp is None:
                    port = args.cdp_port if mode != "managed" else managed_browser_port(args.hub_pid)
                    cdp = Harness(await Cdp.connect(port))
                t = time.monotonic()
                session = await cdp.start_episode(url, f"{task}-{args.seed}")
                harness_time += time.monotonic() - t
                snap = await agent.snapshot()
                await SOLVERS[task](agent, snap)
            except (Stuck, ToolError) as e:
                row["error"] = f"{type(e).__name__}: {e}"[:400]
            except Exception as e:  # noqa: BLE001 - a broken task is reported, the run goes on
                row["error"] = f"{type(e).__name__}: {e}"[:400]
                if verbose:
                    traceback.print_exc(file=sys.stderr)
            elapsed = time.monotonic() - started - harness_time
            reward = await cdp.reward(session, wait="error" not in row) if (cdp and session) else {}
            raw = reward.get("raw") if reward.get("done") else 0
            row.update({"solved": bool(raw and raw > 0), "reward": raw, "reason": reward.get("reason"),
                        "calls": agent.calls - calls, "chars": agent.chars - chars, "ms": round(elapsed * 1000)})
            results[task] = row
            if verbose:
                print(f"[{kind}] {task}: {json.dumps(row)}", file=sys.stderr)
                for line in agent.log:
                    print(f"    {line}", file=sys.stderr)
                if not row["solved"]:
                    print("    last snapshot:\n" + agent.last_snapshot, file=sys.stderr)
        if cdp:
            await cdp.cdp.close()
    times = [r["ms"] for r in results.values()]
    return {
        "tasks": results,
        "total": len(results),
        "solved": sum(r["solved"] for r in results.values()),
        "calls": sum(r["calls"] for r in results.values()),
        "chars": sum(r["chars"] for r in results.values()),
        "ms_total": sum(times),
        "ms_per_task_median": round(statistics.median(times)) if times else 0,
        "ms_per_task_mean": round(statistics.mean(times)) if times else 0,
    }


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--servers", default="ours,playwright")
    p.add_argument("--binary")
    p.add_argument("--mode", default="connect", choices=["connect", "managed", "extension"])
    p.add_argument("--cdp-port", type=int)
    p.add_argument("--hub-pid", type=int)
    p.add_argument("--tasks", default="all")
    p.add_argument("--seed", default="1")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    tasks = sorted(SOLVERS) if args.tasks == "all" else args.tasks.split(",")
    unknown = [t for t in tasks if t not in SOLVERS]
    if unknown:
        raise SystemExit(f"no solver for {unknown}")
    server, base = serve(miniwob_html())
    out = {"tasks": len(tasks), "seed": args.seed, "servers": {}}
    for kind in args.servers.split(","):
        out["servers"][kind] = await run_server(kind, args, base, tasks, args.verbose)
    server.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
