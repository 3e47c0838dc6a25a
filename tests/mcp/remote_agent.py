"""An agent whose session runs on a remote browser: `opendevbrowser mcp --connect URL`
(the token from the environment, the CA file from the config's environment key), driven by
the official Python MCP SDK. Run by tests/remote_e2e.rs against Browserless behind a TLS
proxy on loopback. Prints one JSON line of findings.

usage: remote_agent.py --binary PATH --connect WSS_URL --page URL
"""

import argparse
import asyncio
import json
from contextlib import AsyncExitStack

from checks import agent, check, ref_of, text_of


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--connect", required=True)
    p.add_argument("--page", required=True)
    a = p.parse_args()
    async with AsyncExitStack() as stack:
        session = await agent(stack, a.binary, ["--no-autostart", "--connect", a.connect])
        went = await session.call_tool("browser_navigate", {"url": a.page})
        check(not went.is_error, f"navigate: {text_of(went)}")
        outline = text_of(await session.call_tool("browser_snapshot", {}))
        field, send = ref_of(outline, 'textbox "Name"'), ref_of(outline, 'button "Send"')
        filled = await session.call_tool("browser_fill_form", {"fields": [{"ref": field, "value": "mcp"}]})
        check(not filled.is_error, f"fill: {text_of(filled)}")
        clicked = await session.call_tool("browser_click", {"ref": send})
        check(not clicked.is_error, f"click: {text_of(clicked)}")
        status = json.loads(text_of(await session.call_tool("browser_session_status", {})))
        print(json.dumps({"mode": status["mode"], "url": status["url"]}))


asyncio.run(main())
