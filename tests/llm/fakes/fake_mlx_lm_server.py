#!/usr/bin/env python3
"""A FAKE mlx_lm.server for the tests of git2dataset's managed mlx backend (MLX itself runs only on
Apple Silicon). It takes the real server's arguments (--model, --host, --port), answers
GET /health and GET /v1/models (a local model folder by its resolved path) and streams
POST /v1/chat/completions as server-sent events, as mlx_lm.server (mlx-lm 0.32) does.

Environment, for the tests:
  FAKE_MLX_LOG   a file to which each start appends one line: "<pid> <argv...>"
  FAKE_MLX_MODE  "exit": print an error and exit 1 while starting; "hang": never listen;
                 "slow": wait 1 s before listening (as a model loads).
"""
import http.server
import json
import os
import sys
import time


def arg(name):
    argv = sys.argv[1:]
    return argv[argv.index(name) + 1] if name in argv else None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, json.dumps({"status": "ok"}))
        elif self.path == "/v1/models":
            model = arg("--model")
            if os.path.isdir(model):  # as mlx-lm does: a local model by its resolved path
                model = os.path.realpath(model)
            self.reply(200, json.dumps({"object": "list", "data": [{"id": model}]}))
        else:
            self.reply(404, "not found", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length))
        if self.path != "/v1/chat/completions":
            self.reply(404, "not found", "text/plain")
            return
        last = request["messages"][-1]["content"]
        text = "fake mlx reply (pid %d) to: %s" % (os.getpid(), last[:40])
        delta = {"choices": [{"index": 0, "delta": {"content": text}}]}
        done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 40, "completion_tokens": 9}}
        body = "data: %s\n\ndata: %s\n\ndata: [DONE]\n\n" % (json.dumps(delta), json.dumps(done))
        self.reply(200, body, "text/event-stream")


def main():
    log = os.environ.get("FAKE_MLX_LOG")
    if log:
        with open(log, "a") as f:
            f.write("%d %s\n" % (os.getpid(), " ".join(sys.argv[1:])))
    mode = os.environ.get("FAKE_MLX_MODE", "")
    if mode == "exit":
        print("ValueError: Model not found: %s" % arg("--model"), file=sys.stderr, flush=True)
        sys.exit(1)
    if mode == "hang":
        time.sleep(3600)
    if mode == "slow":
        time.sleep(1)
    server = http.server.ThreadingHTTPServer((arg("--host"), int(arg("--port"))), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
