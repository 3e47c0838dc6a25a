"""What both MCP agent scripts need: a tool result's text, and a failed check's exit."""


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def check(ok, what):
    if not ok:
        raise SystemExit(f"check failed: {what}")
