"""An agent's session with `opendevbrowser mcp`, driven by the official Python MCP SDK.

Run by tests/mcp_e2e.rs against a real hub, the real extension in headless Chromium and
the local test site. Every step checks what the page really did; a failed check exits 1
with the step's name. Prints one JSON line of findings for the Rust side.

usage: agent_flow.py (--binary PATH | --http URL) --site URL --tools NAME,NAME,...
"""

import argparse
import asyncio
import base64
import json
import os
import struct
import time

from jsonschema import Draft202012Validator
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from checks import check, ref_of, text_of


async def call(session, name, args=None, expect_error=False):
    result = await session.call_tool(name, args or {})
    check(bool(result.is_error) == expect_error, f"{name} {args}: isError={result.is_error}: {text_of(result)}")
    return result


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary")
    p.add_argument("--http", help="a Streamable HTTP endpoint instead of spawning --binary")
    p.add_argument("--site", required=True)
    p.add_argument("--tools", required=True)
    a = p.parse_args()
    findings = {}
    if a.http:
        transport = streamable_http_client(a.http)
    else:
        server = StdioServerParameters(command=a.binary, args=["mcp", "--no-autostart"], env=dict(os.environ))
        transport = stdio_client(server)
    async with transport as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()

            listed = (await session.list_tools()).tools
            names = {t.name for t in listed}
            for wanted in a.tools.split(","):
                check(wanted in names, f"tool {wanted} listed")
            for t in listed:
                Draft202012Validator.check_schema(t.input_schema)
            check("browser_status" in names, "browser_status listed")
            snapshot_tool = next(t for t in listed if t.name == "browser_snapshot")
            check(snapshot_tool.annotations and snapshot_tool.annotations.read_only_hint, "snapshot is read-only")
            findings["tools"] = len(listed)
            findings["tools_list_chars"] = len(json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed]))

            started = time.monotonic()
            nav = await call(session, "browser_navigate", {"url": a.site + "/form"})
            check("/form" in text_of(nav), f"navigated: {text_of(nav)}")
            snap = await call(session, "browser_snapshot")
            findings["navigate_snapshot_ms"] = round((time.monotonic() - started) * 1000, 1)
            outline = text_of(snap)
            check(outline.startswith("# Form"), f"plain-text outline: {outline[:80]}")
            name, color = ref_of(outline, 'textbox "Name"'), ref_of(outline, 'combobox "Color"')
            agree, send = ref_of(outline, 'checkbox "I agree"'), ref_of(outline, 'button "Send"')

            status = await call(session, "browser_session_status")
            findings["mode"] = json.loads(text_of(status))["mode"]

            shot = await call(session, "browser_take_screenshot", {"ref": send})
            image = next(c for c in shot.content if c.type == "image")
            png = base64.b64decode(image.data)
            check(png[:8] == b"\x89PNG\r\n\x1a\n", "a PNG image")
            findings["button_png"] = list(struct.unpack(">II", png[16:24]))
            check(findings["button_png"] == [120, 40], f"the Send button is 120x40: {findings['button_png']}")

            small = await call(session, "browser_take_screenshot", {"ref": send, "format": "jpeg", "quality": 50})
            jpeg_image = next(c for c in small.content if c.type == "image")
            check(jpeg_image.mime_type == "image/jpeg", f"a JPEG: {jpeg_image.mime_type}")
            check(base64.b64decode(jpeg_image.data)[:2] == b"\xff\xd8", "JPEG data")

            await call(session, "browser_type", {"ref": name, "text": "Ada", "clear": True})
            await call(session, "browser_select_option", {"ref": color, "values": ["blue"]})
            await call(session, "browser_click", {"ref": agree})
            value = await call(session, "browser_get_value", {"ref": name})
            check(json.loads(text_of(value))["value"] == "Ada", f"typed: {text_of(value)}")
            await call(session, "browser_click", {"ref": send})
            await call(session, "browser_wait_for", {"text": "name=Ada;color=blue;agree=yes", "timeoutMs": 10000})

            bad = await call(session, "browser_navigate", {}, expect_error=True)
            check("invalid_param" in text_of(bad) and "url" in text_of(bad), f"bad arguments: {text_of(bad)}")
            unknown = await call(session, "browser_click", {"ref": "r99999"}, expect_error=True)
            check(text_of(unknown).startswith("unknown_ref"), f"unknown ref: {text_of(unknown)}")
            stale = await call(session, "browser_click", {"ref": send}, expect_error=True)
            check(text_of(stale).startswith("stale_ref") and "browser_snapshot" in text_of(stale), text_of(stale))
            await call(session, "browser_navigate", {"url": a.site + "/dialogs"})
            outline = text_of(await call(session, "browser_snapshot"))
            opened = await call(session, "browser_click", {"ref": ref_of(outline, 'button "Confirm"')}, expect_error=True)
            check(text_of(opened).startswith("dialog_open") and "Delete the card?" in text_of(opened), text_of(opened))
            answered = await call(session, "browser_handle_dialog", {"action": "accept"})
            check(json.loads(text_of(answered))["handled"]["outcome"] == "accepted", text_of(answered))
            await call(session, "browser_wait_for", {"text": "confirmed", "timeoutMs": 10000})
            title = await call(session, "browser_evaluate", {"expression": "(a) => document.title + a", "args": ["!"]})
            check(json.loads(text_of(title))["value"] == "Dialogs!", f"evaluated: {text_of(title)}")
            findings["dialog_and_evaluate"] = True

            doctor = await call(session, "browser_status")
            check(text_of(doctor).startswith("ok:"), f"doctor verdict: {text_of(doctor)}")
    print(json.dumps(findings))


if __name__ == "__main__":
    asyncio.run(main())
