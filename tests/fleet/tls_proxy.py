"""A TLS-terminating proxy for tests/remote_e2e.rs: wss:// in front of a ws:// browser
endpoint (Browserless or a DevTools port) on loopback, with Python's own TLS (OpenSSL via
the `ssl` module), as a hosted fleet's load balancer would be.

    python3 tls_proxy.py --listen PORT --target PORT --cert cert.pem --key key.pem

Prints "ready <port>" once listening; bytes pass through untouched both ways. Killing the
process cuts every connection at once (a dropped remote socket)."""

import argparse
import asyncio
import ssl
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)

    async def serve(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", args.target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))

    server = await asyncio.start_server(serve, "127.0.0.1", args.listen, ssl=context, reuse_address=True)
    print(f"ready {args.listen}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
