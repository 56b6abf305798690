#!/usr/bin/env python3
"""A local stand-in for Telegram's Bot API, for README tests: the real wire format of the
methods Gatehouse's bridge uses (getMe, getUpdates with offset and long polling, sendMessage,
deleteMessage; 401 for any other token), plus a control face for the test script that plays
the person on the phone:

  POST /control/say      {"from": ID, "text": "..."}  -> {"message_id": N}
  GET  /control/sent     -> [{"chat_id", "text"}, ...]   (everything the bot sent)
  GET  /control/deleted  -> [{"chat_id", "message_id"}, ...]

Usage: fake-telegram.py PORT TOKEN
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, TOKEN = int(sys.argv[1]), sys.argv[2]
BOT_ID = int(TOKEN.split(":")[0])
lock = threading.Condition()
updates, sent, deleted = [], [], []
next_update, next_message = [100], [500]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def params(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def do_GET(self):
        if self.path == "/control/sent":
            with lock:
                return self.answer(200, sent)
        if self.path == "/control/deleted":
            with lock:
                return self.answer(200, deleted)
        self.do_POST()

    def do_POST(self):
        if self.path == "/control/say":
            p = self.params()
            with lock:
                next_update[0] += 1
                next_message[0] += 1
                updates.append({"update_id": next_update[0], "message": {
                    "message_id": next_message[0], "date": int(time.time()), "text": p["text"],
                    "from": {"id": p["from"], "is_bot": False, "first_name": "Owner"},
                    "chat": {"id": p["from"], "type": "private"}}})
                lock.notify_all()
                return self.answer(200, {"message_id": next_message[0]})
        prefix = "/bot" + TOKEN + "/"
        if not self.path.startswith(prefix):
            return self.answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method, p = self.path[len(prefix):], self.params()
        if method == "getMe":
            return self.answer(200, {"ok": True, "result": {"id": BOT_ID, "is_bot": True, "first_name": "Home",
                                                            "username": "home_bot"}})
        if method == "getUpdates":
            offset, deadline = p.get("offset", 0), time.time() + min(p.get("timeout", 0), 5)
            with lock:
                while True:
                    due = [u for u in updates if u["update_id"] >= offset]
                    if due or time.time() >= deadline:
                        break
                    lock.wait(max(0.0, deadline - time.time()))
                updates[:] = [u for u in updates if u["update_id"] >= offset]  # confirmed ones are gone
            return self.answer(200, {"ok": True, "result": due})
        if method == "sendMessage":
            with lock:
                sent.append({"chat_id": p["chat_id"], "text": p["text"]})
                next_message[0] += 1
                m = next_message[0]
            return self.answer(200, {"ok": True, "result": {"message_id": m, "date": int(time.time()),
                                                            "chat": {"id": p["chat_id"], "type": "private"}}})
        if method == "deleteMessage":
            with lock:
                deleted.append({"chat_id": p["chat_id"], "message_id": p["message_id"]})
            return self.answer(200, {"ok": True, "result": True})
        return self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
