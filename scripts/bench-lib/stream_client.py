#!/usr/bin/env python3
"""Times streamed chat completions, which wrk cannot: for each of N requests on one keep-alive
connection, the time from sending the request to the first byte of the body (the first
server-sent event) and to the last byte (the end of the chunked body, after `data: [DONE]`).

    stream_client.py HOST PORT BODY_FILE N   ->  one line per request: "ttfb_us last_us"

Bounded: N requests, each with a 10 s socket timeout; exits non-zero on any non-200 answer, a
body without `[DONE]`, or a body that is not chunked.
"""
import socket
import sys
import time


def read_response(sock, started):
    """Reads one chunked response; returns (first body byte time, last byte time, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        if not part:
            raise SystemExit("connection closed before the response head")
        data += part
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0]
    if b" 200 " not in status_line + b" ":
        raise SystemExit(f"unexpected status: {status_line!r}: {rest[:300]!r}")
    if b"transfer-encoding: chunked" not in head.lower():
        raise SystemExit(f"expected a chunked stream, got head {head!r}")
    first = time.perf_counter() if rest else None
    last = first
    body = b""
    buffer = rest
    while True:
        # Parse as many complete chunks as the buffer holds.
        while True:
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                break
            size = int(buffer[:line_end].split(b";")[0], 16)
            if size == 0:
                if buffer.find(b"\r\n\r\n", line_end) >= 0 or buffer[line_end:line_end + 4] == b"\r\n\r\n":
                    return first - started, last - started, body
                break
            if len(buffer) < line_end + 2 + size + 2:
                break
            body += buffer[line_end + 2:line_end + 2 + size]
            buffer = buffer[line_end + 2 + size + 2:]
        part = sock.recv(65536)
        if not part:
            raise SystemExit("connection closed inside the stream")
        now = time.perf_counter()
        if first is None:
            first = now
        last = now
        buffer += part


def main():
    host, port, body_file, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    body = open(body_file, "rb").read()
    request = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\nAuthorization: Bearer sk-bench\r\n"
        "Accept: text/event-stream\r\nx-bifrost-cache: bypass\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    sock = socket.create_connection((host, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    out = []
    for _ in range(count):
        started = time.perf_counter()
        sock.sendall(request)
        first, last, text = read_response(sock, started)
        if b"data: [DONE]" not in text:
            raise SystemExit(f"stream without [DONE]: {text[-300:]!r}")
        out.append(f"{first * 1e6:.0f} {last * 1e6:.0f}")
    sock.close()
    print("\n".join(out))


if __name__ == "__main__":
    main()
