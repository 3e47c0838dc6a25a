"""A small Chrome DevTools Protocol client (standard library only: asyncio streams and a
minimal RFC 6455 WebSocket), so the harness reads a task's reward over its own connection
to the browser, independent of the MCP server under test."""

import asyncio
import base64
import json
import os
import struct
import urllib.request


class Cdp:
    """One WebSocket to the browser endpoint; `call` sends a command (optionally in a
    flattened target session) and returns its result."""

    def __init__(self, reader, writer):
        self._reader, self._writer = reader, writer
        self._next = 0
        self._waiting = {}
        self._task = asyncio.create_task(self._read_loop())

    @classmethod
    async def connect(cls, port, host="127.0.0.1"):
        with urllib.request.urlopen(f"http://{host}:{port}/json/version", timeout=10) as r:
            url = json.load(r)["webSocketDebuggerUrl"]
        path = url.split(f"{host}:{port}", 1)[1]
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 26)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
        )
        status = await reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"WebSocket upgrade refused: {status[:200]!r}")
        return cls(reader, writer)

    def _send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        head = bytes([0x81])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self._writer.write(head + mask + masked)

    async def _frame(self):
        b0, b1 = await self._reader.readexactly(2)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack(">H", await self._reader.readexactly(2))
        elif n == 127:
            (n,) = struct.unpack(">Q", await self._reader.readexactly(8))
        if b1 & 0x80:
            mask = await self._reader.readexactly(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(await self._reader.readexactly(n)))
        else:
            data = await self._reader.readexactly(n)
        return b0 & 0x80, b0 & 0x0F, data

    async def _read_loop(self):
        message = b""
        try:
            while True:
                fin, op, data = await self._frame()
                if op == 8:
                    break
                if op in (0, 1, 2):
                    message += data
                    if not fin:
                        continue
                    v = json.loads(message)
                    message = b""
                    fut = self._waiting.pop(v.get("id"), None)
                    if fut and not fut.done():
                        fut.set_result(v)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        for fut in self._waiting.values():
            if not fut.done():
                fut.set_exception(ConnectionError("the DevTools connection closed"))

    async def call(self, method, params=None, session=None, timeout=30):
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        fut = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = fut
        self._send(json.dumps(msg))
        v = await asyncio.wait_for(fut, timeout)
        if "error" in v:
            raise RuntimeError(f"{method}: {v['error']}")
        return v["result"]

    async def page_session(self, url_prefix=None):
        """A flattened session on the first page target (whose URL starts with url_prefix)."""
        targets = (await self.call("Target.getTargets"))["targetInfos"]
        pages = [t for t in targets if t["type"] == "page" and (not url_prefix or t["url"].startswith(url_prefix))]
        if not pages:
            raise RuntimeError(f"no page at {url_prefix}: {[t['url'] for t in targets]}")
        attached = await self.call("Target.attachToTarget", {"targetId": pages[0]["targetId"], "flatten": True})
        return attached["sessionId"]

    async def evaluate(self, session, expression, timeout=30):
        r = await self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session,
            timeout,
        )
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:80]}: {r['exceptionDetails'].get('text')} "
                               f"{r['exceptionDetails'].get('exception', {}).get('description', '')}")
        return r["result"].get("value")

    async def close(self):
        self._task.cancel()
        self._writer.close()
