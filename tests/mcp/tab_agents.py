"""Two agents at once in the user's Chrome, one `opendevbrowser mcp --scope tab` process
each (official Python MCP SDK): each works in a tab of its own and fills a different form
at the same time. The Rust side (tests/mcp_e2e.rs) checks the tab groups between phases;
this script prints one JSON line per phase and waits for a line on stdin to go on:

  filled  both forms done (agent A's sign-up, agent B's sign-in)
  b_gone  agent B's process ended (its stdin closed)
  done    agent A still works in its tab

usage: tab_agents.py --binary PATH --site URL
"""

import argparse
import asyncio
import json
import sys
from contextlib import AsyncExitStack

from checks import agent, check, ref_of, text_of


TAB_AGENT = ["--no-autostart", "--mode", "extension", "--scope", "tab"]


async def call(session, name, args=None):
    result = await session.call_tool(name, args or {})
    check(not result.is_error, f"{name} {args}: {text_of(result)}")
    return text_of(result)


async def ref(session, needle):
    return ref_of(await call(session, "browser_snapshot"), needle)


async def sign_up(a, site):
    await call(a, "browser_navigate", {"url": site + "/form"})
    fields = [{"ref": await ref(a, 'textbox "Name"'), "value": "Ada"},
              {"ref": await ref(a, 'checkbox "I agree"'), "value": True}]
    await call(a, "browser_fill_form", {"fields": fields})
    await call(a, "browser_click", {"ref": await ref(a, 'button "Send"')})
    await call(a, "browser_wait_for", {"text": "name=Ada", "timeoutMs": 10000})
    out = await call(a, "browser_evaluate", {"expression": "document.getElementById('out').textContent"})
    return json.loads(out)["value"]


async def sign_in(b, site):
    await call(b, "browser_navigate", {"url": site + "/login"})
    fields = [{"ref": await ref(b, 'textbox "User"'), "value": "grace"},
              {"ref": await ref(b, 'textbox "Password"'), "value": "secret"}]
    await call(b, "browser_fill_form", {"fields": fields})
    await call(b, "browser_click", {"ref": await ref(b, 'button "Sign in"')})
    await call(b, "browser_wait_for", {"text": "Welcome, grace", "timeoutMs": 10000})
    # What the server's answer page says (the Rust side reads it again through its own
    # DevTools connection).
    out = await call(b, "browser_evaluate", {"expression": "document.querySelector('h1').textContent"})
    return json.loads(out)["value"]


def say(phase, **found):
    print(json.dumps({"phase": phase, **found}), flush=True)
    sys.stdin.readline()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--site", required=True)
    a = p.parse_args()
    async with AsyncExitStack() as a_stack:
        first = await agent(a_stack, a.binary, TAB_AGENT, "agent-a")
        async with AsyncExitStack() as b_stack:
            second = await agent(b_stack, a.binary, TAB_AGENT, "agent-b")
            signed_up, signed_in = await asyncio.gather(sign_up(first, a.site), sign_in(second, a.site))
            tabs_a = await call(first, "browser_tabs")
            say("filled", signedUp=signed_up, signedIn=signed_in, tabsOfA=tabs_a)
        say("b_gone")
        await call(first, "browser_navigate", {"url": a.site + "/second"})
        title = await call(first, "browser_evaluate", {"expression": "document.title"})
        print(json.dumps({"phase": "done", "title": json.loads(title)["value"]}), flush=True)


asyncio.run(main())
