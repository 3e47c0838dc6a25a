"""An MCP agent on ordinary pages, driven by the official Python MCP SDK through
`opendevbrowser mcp` in the user's Chrome: sign in with one form fill, answer a confirm,
upload a file, download a report, drag a card, and clear a field with Control+A and
Backspace. Each step checks what the page itself shows. Prints one JSON line of findings
(with the tool calls made, as a transcript).

usage: real_pages.py --binary PATH --site URL --upload FILE
"""

import argparse
import asyncio
import json
import os

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from checks import check, ref_of, text_of


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--site", required=True)
    p.add_argument("--upload", required=True)
    a = p.parse_args()
    transcript = []
    server = StdioServerParameters(command=a.binary, args=["mcp", "--no-autostart"], env=dict(os.environ))
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()

            async def call(name, args=None, expect_error=False):
                result = await session.call_tool(name, args or {})
                transcript.append(f"{name} {json.dumps(args or {})} -> {text_of(result)[:160]}")
                check(bool(result.is_error) == expect_error, f"{name} {args}: {text_of(result)}")
                return text_of(result)

            async def ref(needle):
                return ref_of(await call("browser_snapshot"), needle)

            async def shows(text):
                await call("browser_wait_for", {"text": text, "timeoutMs": 10000})

            await call("browser_navigate", {"url": a.site + "/login"})
            user, password = await ref('textbox "User"'), await ref('textbox "Password"')
            await call("browser_fill_form", {"fields": [{"ref": user, "value": "ada"}, {"ref": password, "value": "secret"}]})
            await call("browser_click", {"ref": await ref('button "Sign in"')})
            await shows("Welcome, ada")

            await call("browser_navigate", {"url": a.site + "/dialogs"})
            opened = await call("browser_click", {"ref": await ref('button "Confirm"')}, expect_error=True)
            check(opened.startswith("dialog_open") and "browser_handle_dialog" in opened, opened)
            await call("browser_handle_dialog", {"action": "accept"})
            await shows("confirmed")

            await call("browser_navigate", {"url": a.site + "/forms"})
            uploaded = json.loads(await call("browser_file_upload", {"ref": await ref('"Report"'), "files": [a.upload]}))
            name = os.path.basename(a.upload)
            await shows(f"{name}:{uploaded['files'][0]['bytes']}")

            await call("browser_navigate", {"url": a.site + "/download"})
            saved = json.loads(await call("browser_download", {"ref": await ref('link "Download report"')}))
            with open(saved["path"]) as f:
                report = f.read()
            os.remove(saved["path"])

            await call("browser_navigate", {"url": a.site + "/input"})
            await call("browser_drag", {"from": await ref('button "Card A"'), "to": await ref('button "Card C"')})
            await shows("B,C,A")
            field = await ref('textbox "Field"')
            await call("browser_type", {"ref": field, "text": "typo here"})
            await call("browser_press_key", {"ref": field, "key": "Control+A"})
            await call("browser_press_key", {"ref": field, "key": "Backspace"})
            value = json.loads(await call("browser_get_value", {"ref": field}))["value"]
            check(value == "", f"the field is empty: {value!r}")
    print(json.dumps({"report": report, "uploaded": uploaded, "transcript": transcript}))


if __name__ == "__main__":
    asyncio.run(main())
