"""What an agent reads from `opendevbrowser mcp`, through the official Python MCP SDK: the
server's name and version, the size of the tool list, and an error from a real call, in
the agent's words (tool names, never the daemon's command names).

Run by tests/mcp_words_e2e.rs against a real hub and the real extension. A failed check
exits 1 with what failed. Prints one JSON line of findings for the Rust side.

usage: words.py --binary PATH --version VERSION --max-chars N
"""

import argparse
import asyncio
import json
import os
import re
from contextlib import AsyncExitStack

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from checks import check, text_of

# A daemon command name (`nav.snapshot`, `targets.list`, `interact.fill`): a group of the
# daemon's, a dot, a lower-case letter, not inside a longer dotted name.
DAEMON_NAME = re.compile(
    r"(?<![\w.])(?:hub|relay|cdp|session|targets|page|nav|interact|dom|devtools|storage)\.[a-z]\w*"
)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--max-chars", type=int, required=True)
    a = p.parse_args()
    findings = {}
    server = StdioServerParameters(command=a.binary, args=["mcp", "--no-autostart"], env=dict(os.environ))
    async with AsyncExitStack() as stack:
        read, write = await stack.enter_async_context(stdio_client(server))
        session = await stack.enter_async_context(ClientSession(read, write))
        init = await session.initialize()
        findings["server"] = {"name": init.server_info.name, "version": init.server_info.version}
        check(init.server_info.name == "opendevbrowser", f"serverInfo.name: {init.server_info}")
        check(init.server_info.version == a.version, f"serverInfo.version {a.version}: {init.server_info}")

        listed = (await session.list_tools()).tools
        result = {"tools": [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed]}
        # Measured as the peers' lists are: json.dumps of the tools/list result.
        findings["tools_list_chars"] = len(json.dumps(result))
        findings["tools"] = len(listed)
        check(findings["tools_list_chars"] <= a.max_chars, f"tools/list within {a.max_chars}: {findings}")
        daemon = sorted(set(DAEMON_NAME.findall(json.dumps(result))))
        check(not daemon, f"no daemon command names in tools/list: {daemon}")

        clicked = await session.call_tool("browser_click", {"ref": "r999"})
        text = text_of(clicked)
        findings["click_error"] = text
        check(clicked.is_error, f"a click on a ref no snapshot gave is an error: {text}")
        first = text.splitlines()[0]
        check("browser_snapshot" in first, f"the error itself names browser_snapshot: {text}")
        check(not DAEMON_NAME.findall(text), f"no daemon command names in the error: {text}")
    print(json.dumps(findings))


if __name__ == "__main__":
    asyncio.run(main())
