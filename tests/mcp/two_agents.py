"""Several agents, one `opendevbrowser mcp` process each, one hub, one user's Chrome.

While agent A holds the binding, agent B's first browser tool answers relay_busy naming
A, and agent C (started with --wait-ms) waits in the queue, told so by MCP progress
notifications. Once A's stdin closes (its agent ends), C is served; once C leaves, B is.
Prints one JSON line.

usage: two_agents.py --binary PATH --site URL
"""

import argparse
import asyncio
import json
from contextlib import AsyncExitStack

from checks import agent, check, text_of


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--site", required=True)
    a = p.parse_args()
    findings = {}
    async with AsyncExitStack() as b_stack:
        b = await agent(b_stack, a.binary)
        async with AsyncExitStack() as c_stack:
            c = await agent(c_stack, a.binary, ["--wait-ms", "30000"])
            progress = []

            async def heard(done, total, message):
                progress.append(message)

            async with AsyncExitStack() as a_stack:
                first = await agent(a_stack, a.binary)
                held = await first.call_tool("browser_navigate", {"url": a.site + "/"})
                check(not held.is_error, f"agent A navigates: {text_of(held)}")
                busy = await b.call_tool("browser_navigate", {"url": a.site + "/second"})
                check(busy.is_error and text_of(busy).startswith("relay_busy"), f"agent B is told: {text_of(busy)}")
                findings["busy"] = text_of(busy).splitlines()[0]
                queued = asyncio.create_task(
                    c.call_tool("browser_navigate", {"url": a.site + "/form"}, progress_callback=heard))
                # C is queued once the hub tells it so (its first progress line), not after a nap.
                for _ in range(300):
                    if progress or queued.done():
                        break
                    await asyncio.sleep(0.05)
                check(not queued.done(), "agent C waits while A holds the browser")
            # A's stdin is closed: its process ends and the queue's head (C) is served.
            served_c = await asyncio.wait_for(queued, 30)
            check(not served_c.is_error and "/form" in text_of(served_c), f"agent C is served: {text_of(served_c)}")
            check(len(progress) >= 1 and "waiting" in progress[0], f"agent C heard progress: {progress}")
            findings["progress"] = progress[:2]
        # C's stdin is closed too: B gets the browser.
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
