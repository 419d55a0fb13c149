#!/usr/bin/env python3
"""Writes the nginx configurations scripts/bench runs: the mock OpenAI upstream and the
nginx reverse proxy it is compared with.

    nginx_conf.py upstream TMP JSON_PORT SSE_PORT BURST_PORT
    nginx_conf.py proxy TMP PROXY_PORT PROXY_SSE_PORT PROXY_BURST_PORT JSON_PORT SSE_PORT BURST_PORT

The upstream serves a completion on JSON_PORT, the stream paced on SSE_PORT (an event every
EVENT_GAP seconds, for time to first byte) and the same stream at once on BURST_PORT (for the CPU
a stream costs and streams per second).

Both run as one process (`master_process off`, `daemon off`) under the bench's control, with
every path in TMP, so the bench needs no root-owned directory and stops nginx by its PID.
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
MODEL = "gpt-4o-mini-2024-07-18"
CHUNK_ID = "chatcmpl-B9MBsStreamedBench0000001"
# The answer, streamed a few tokens per event as OpenAI does.
WORDS = (
    "Try| Ursula| K.| Le| Guin's| The| Dispossessed| for| its| patient| world-building,| and| Ann|"
    " Leckie's| Ancillary| Justice| next."
).split("|")
# Between two events, like a model producing tokens (seconds). Small, so the bench stays short,
# yet large enough that a proxy which buffers the stream shows it in time-to-first-byte.
EVENT_GAP = "0.001"


def common(tmp: str, name: str) -> str:
    return f"""\
master_process off;
daemon off;
worker_processes 1;
pid {tmp}/{name}.pid;
error_log {tmp}/{name}-error.log warn;
events {{ worker_connections 4096; multi_accept on; }}
"""


def http_common(tmp: str, name: str) -> str:
    return f"""\
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_temp_path {tmp}/{name}-body;
    proxy_temp_path {tmp}/{name}-proxy;
    fastcgi_temp_path {tmp}/{name}-fastcgi;
    uwsgi_temp_path {tmp}/{name}-uwsgi;
    scgi_temp_path {tmp}/{name}-scgi;
"""


def chunk(delta: dict, finish: object = None, usage: object = None) -> str:
    event = {
        "id": CHUNK_ID,
        "object": "chat.completion.chunk",
        "created": 1741569952,
        "model": MODEL,
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
        "choices": [] if usage else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    if usage:
        event["usage"] = usage
    return "data: " + json.dumps(event, separators=(",", ":"))


def sse_events() -> list:
    events = [chunk({"role": "assistant", "content": "", "refusal": None})]
    events += [chunk({"content": word}) for word in WORDS]
    events.append(chunk({}, finish="stop"))
    events.append(chunk({}, usage={"prompt_tokens": 71, "completion_tokens": 18, "total_tokens": 89}))
    events.append("data: [DONE]")
    return events


def nginx_string(text: str) -> str:
    # Single-quoted nginx string: escape what nginx unescapes; `$` would start a variable.
    assert "$" not in text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def echo(event: str) -> str:
    # `echo` adds one newline; the second ends the event.
    return f"            echo {nginx_string(event)}\\n;".replace("'\\n;", "\\n';")


def sse_server(port: str, echoes: str) -> str:
    return f"""\
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location = /v1/chat/completions {{
            default_type text/event-stream;
            echo_read_request_body;
{echoes}
        }}
    }}"""


def upstream(tmp: str, json_port: str, sse_port: str, burst_port: str) -> str:
    completion = (HERE / "chat-completion.json").read_text().strip()
    # nginx strings are limited to 4 KiB: one `echo` per event, none flushed, so nginx sends the
    # whole stream in as few writes as its buffers allow.
    burst = "\n".join(echo(event) for event in sse_events())
    lines = []
    for index, event in enumerate(sse_events()):
        if index:
            lines.append(f"            echo_sleep {EVENT_GAP};")
        lines.append(echo(event))
        lines.append("            echo_flush;")
    events = "\n".join(lines)
    return (
        "load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;\n"
        + common(tmp, "upstream")
        + f"""\
http {{
{http_common(tmp, "upstream")}
    server {{
        listen 127.0.0.1:{json_port} backlog=4096;
        location = /v1/chat/completions {{
            default_type application/json;
            return 200 {nginx_string(completion)};
        }}
    }}
{sse_server(sse_port, events)}
{sse_server(burst_port, burst)}
}}
"""
    )


def proxy(tmp: str, port: str, sse_port: str, burst_port: str, up_json: str, up_sse: str, up_burst: str) -> str:
    # Upstream keep-alive (`keepalive` + HTTP/1.1 + empty Connection) is what makes nginx the
    # near-physical limit of an HTTP proxy; the streaming server relays without buffering, as an
    # nginx in front of an SSE API is configured.
    def server(listen: str, up: str, streaming: bool) -> str:
        return f"""\
    server {{
        listen 127.0.0.1:{listen} backlog=4096;
        location / {{
            proxy_pass http://{up};
            proxy_http_version 1.1;
            proxy_set_header Connection "";{chr(10) + "            proxy_buffering off;" if streaming else ""}
        }}
    }}"""

    return (
        common(tmp, "proxy")
        + f"""\
http {{
{http_common(tmp, "proxy")}
    upstream json_upstream {{ server 127.0.0.1:{up_json}; keepalive 128; }}
    upstream sse_upstream {{ server 127.0.0.1:{up_sse}; keepalive 128; }}
    upstream burst_upstream {{ server 127.0.0.1:{up_burst}; keepalive 128; }}
{server(port, "json_upstream", streaming=False)}
{server(sse_port, "sse_upstream", streaming=True)}
{server(burst_port, "burst_upstream", streaming=True)}
}}
"""
    )


if __name__ == "__main__":
    kind, args = sys.argv[1], sys.argv[2:]
    sys.stdout.write(upstream(*args) if kind == "upstream" else proxy(*args))
