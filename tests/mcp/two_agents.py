"""Two agents, two `opendevbrowser mcp` processes, one hub, one user's Chrome.

While agent A holds the binding, agent B's first browser tool answers relay_busy naming
A; once A's stdin closes (its agent ends), B is served. Prints one JSON line.

usage: two_agents.py --binary PATH --site URL
"""

import argparse
import asyncio
import json
import os
from contextlib import AsyncExitStack

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def check(ok, what):
    if not ok:
        raise SystemExit(f"check failed: {what}")


async def agent(stack, binary, name):
    server = StdioServerParameters(command=binary, args=["mcp"], env=dict(os.environ))
    read, write = await stack.enter_async_context(stdio_client(server))
    session = await stack.enter_async_context(ClientSession(read, write))
    await session.initialize()
    return session


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--site", required=True)
    a = p.parse_args()
    findings = {}
    async with AsyncExitStack() as b_stack:
        b = await agent(b_stack, a.binary, "agent-b")
        async with AsyncExitStack() as a_stack:
            first = await agent(a_stack, a.binary, "agent-a")
            held = await first.call_tool("browser_navigate", {"url": a.site + "/"})
            check(not held.is_error, f"agent A navigates: {text_of(held)}")
            busy = await b.call_tool("browser_navigate", {"url": a.site + "/second"})
            check(busy.is_error and text_of(busy).startswith("relay_busy"), f"agent B is told: {text_of(busy)}")
            findings["busy"] = text_of(busy).splitlines()[0]
        # A's stdin is closed: its process ends and gives the user's Chrome back.
        for _ in range(50):
            served = await b.call_tool("browser_navigate", {"url": a.site + "/second"})
            if not served.is_error:
                break
            await asyncio.sleep(0.2)
        check(not served.is_error and "/second" in text_of(served), f"agent B is served: {text_of(served)}")
        findings["served"] = json.loads(text_of(served))["finalUrl"]
    print(json.dumps(findings))


if __name__ == "__main__":
    asyncio.run(main())
