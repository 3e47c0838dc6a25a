"""One scripted agent's view of an MCP browser server: the same few verbs (navigate, snapshot,
click, type, select, drag, press) mapped onto each server's own tools, counting the calls
made, the characters received and the time spent."""

import json
import os
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from snapshots import Snapshot, parse_ours, parse_playwright

HERE = os.path.dirname(os.path.abspath(__file__))


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


class ToolError(Exception):
    pass


class Agent:
    """`kind` is `ours` or `playwright`; `session` an initialised MCP client session."""

    def __init__(self, kind, session):
        self.kind, self.session = kind, session
        self.calls, self.chars = 0, 0
        self.log = []
        self.last_snapshot = ""

    async def call(self, name, args=None, allow_error=False):
        started = time.monotonic()
        result = await self.session.call_tool(name, args or {})
        text = text_of(result)
        self.calls += 1
        self.chars += len(text)
        self.log.append(f"{name} {json.dumps(args or {})[:120]} -> {len(text)} chars, "
                        f"{(time.monotonic() - started) * 1000:.0f} ms{' ERROR ' + text[:200] if result.is_error else ''}")
        if result.is_error and not allow_error:
            raise ToolError(f"{name} {args}: {text[:300]}")
        return text

    async def navigate(self, url):
        return await self.call("browser_navigate", {"url": url})

    async def snapshot(self):
        text = await self.call("browser_snapshot", {})
        self.last_snapshot = text
        nodes = parse_ours(text) if self.kind == "ours" else parse_playwright(text)
        return Snapshot(text, nodes)

    def _target(self, snap, node):
        ref = snap.ref_of(node) if snap is not None else node.ref
        if not ref:
            raise ToolError(f"no ref on {node}")
        return ref

    async def click(self, snap, node):
        ref = self._target(snap, node)
        if self.kind == "ours":
            return await self.call("browser_click", {"ref": ref})
        return await self.call("browser_click", {"target": ref, "element": node.label() or node.role})

    async def type(self, snap, node, text, submit=False):
        ref = self._target(snap, node)
        if self.kind == "ours":
            args = {"ref": ref, "text": text, "clear": True}
        else:
            args = {"target": ref, "element": node.label() or node.role, "text": text}
        if submit:
            args["submit"] = True
        return await self.call("browser_type", args)

    async def select(self, snap, node, values):
        ref = self._target(snap, node)
        if self.kind == "ours":
            return await self.call("browser_select_option", {"ref": ref, "values": values})
        return await self.call("browser_select_option", {"target": ref, "element": node.label() or node.role,
                                                         "values": values})

    async def drag(self, snap, source, target):
        a, b = self._target(snap, source), self._target(snap, target)
        if self.kind == "ours":
            return await self.call("browser_drag", {"from": a, "to": b})
        return await self.call("browser_drag", {"startTarget": a, "startElement": source.label() or source.role,
                                                "endTarget": b, "endElement": target.label() or target.role})

    async def hover(self, snap, node):
        ref = self._target(snap, node)
        if self.kind == "ours":
            return await self.call("browser_hover", {"ref": ref})
        return await self.call("browser_hover", {"target": ref, "element": node.label() or node.role})

    async def press(self, key):
        return await self.call("browser_press_key", {"key": key})

    async def full_value(self, snap, node):
        """A field's whole value when the snapshot shows it cut (ours marks that); else as shown."""
        value = node.value()
        cut = node.attrs.get("truncated") or value.endswith("…") or "…" in node.line.split(value, 1)[-1]
        if self.kind == "ours" and cut:
            text = await self.call("browser_get_value", {"ref": self._target(snap, node)})
            try:
                return str(json.loads(text)["value"])
            except (ValueError, KeyError):
                return value
        return value


def server_params(kind, binary=None, cdp_port=None, mode=None, out_dir=None):
    """How to start the MCP server of `kind`: ours (`binary mcp`, its mode) or Playwright MCP
    (from tests/agents/node_modules, on the browser's DevTools endpoint)."""
    env = dict(os.environ)
    if kind == "ours":
        args = ["mcp", "--no-autostart"]
        if mode == "managed":
            args += ["--mode", "managed", "--chrome-path", os.environ.get("CHROMIUM", "/usr/bin/chromium")]
        elif mode == "extension":
            args += ["--mode", "extension"]
        return StdioServerParameters(command=binary, args=args, env=env)
    cli = os.path.join(HERE, "node_modules", "@playwright", "mcp", "cli.js")
    if not os.path.exists(cli):
        raise SystemExit(f"{cli} is missing: run scripts/setup.sh")
    args = [cli, "--cdp-endpoint", f"http://127.0.0.1:{cdp_port}"]
    if out_dir:
        args += ["--output-dir", out_dir]
    return StdioServerParameters(command="node", args=args, env=env, cwd=out_dir)


async def open_agent(stack, kind, binary=None, cdp_port=None, mode=None, out_dir=None):
    read, write = await stack.enter_async_context(stdio_client(server_params(kind, binary, cdp_port, mode, out_dir)))
    session = await stack.enter_async_context(ClientSession(read, write))
    await session.initialize()
    agent = Agent(kind, session)
    if kind == "ours" and mode == "connect":
        await agent.call("browser_connect", {"port": cdp_port})
        agent.calls, agent.chars = 0, 0
    return agent
