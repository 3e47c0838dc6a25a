"""What the MCP agent scripts share: starting an agent, a tool result's text, a ref found
in a snapshot, and a failed check's exit."""

import os
import re

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client


async def agent(stack, binary, args=(), name=None):
    """An `opendevbrowser mcp` process (with `args`) and an initialised client session to it,
    closed with `stack`; `name` is the MCP client name the server sees (the SDK's default
    when None)."""
    server = StdioServerParameters(command=binary, args=["mcp", *args], env=dict(os.environ))
    read, write = await stack.enter_async_context(stdio_client(server))
    info = types.Implementation(name=name, version="1.0") if name else None
    session = await stack.enter_async_context(ClientSession(read, write, client_info=info))
    await session.initialize()
    return session


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def ref_of(outline, needle):
    """The ref (`r12`) on the first snapshot line that contains `needle`."""
    line = next((l for l in outline.splitlines() if needle in l), None)
    check(line is not None, f"{needle!r} in the snapshot:\n{outline}")
    return re.search(r"\[(r\d+)\]", line).group(1)


def check(ok, what):
    if not ok:
        raise SystemExit(f"check failed: {what}")
