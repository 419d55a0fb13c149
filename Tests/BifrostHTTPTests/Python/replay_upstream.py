"""A fake upstream for the SDK accumulator tests: it answers each request with the recorded
exchange of Tests/BifrostHTTPTests/Conformance/ that its `model` names, streamed or not, as an
OpenAI-compatible server (`POST /v1/chat/completions`) or Anthropic (`POST /v1/messages`) would.

    python replay_upstream.py PORT_FILE

binds 127.0.0.1 on a free port, writes the port to PORT_FILE, and serves until killed.
"""

import http.server
import json
import os
import sys

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Conformance")


class Replay(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        try:
            name = json.loads(body)["model"]
            with open(os.path.join(CORPUS, os.path.basename(name) + ".json"), encoding="utf-8") as file:
                exchange = json.load(file)
        except (OSError, ValueError, KeyError) as error:
            self.answer(404, {"error": {"message": "no recorded exchange: %s" % error, "type": "not_found"}})
            return
        if "upstream_events" not in exchange:
            self.answer(exchange.get("upstream_status", 200), exchange["upstream_response"])
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        for event in exchange["upstream_events"]:
            data = event["data"]
            text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"), ensure_ascii=False)
            line = ("event: %s\n" % event["event"] if "event" in event else "") + "data: %s\n\n" % text
            self.wfile.write(line.encode("utf-8"))
            self.wfile.flush()
        self.close_connection = True

    def answer(self, status, value):
        payload = json.dumps(value, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


if __name__ == "__main__":
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    with open(sys.argv[1], "w", encoding="utf-8") as port_file:
        port_file.write(str(server.server_address[1]))
    server.serve_forever()
