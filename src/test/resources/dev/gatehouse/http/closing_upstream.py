"""An upstream like many small embedded web UIs: Python's http.server, which speaks HTTP/1.0
and closes every connection after one answer (its default protocol_version). It binds a free
loopback port, prints it on one line, and serves until stdin closes. Every answer names the
client port it came in on, so a test can count connections."""
import http.server
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    # protocol_version stays "HTTP/1.0": one request per connection, no Connection header sent.

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = ('{"method":"%s","path":"%s","peer":%d}' % (self.command, self.path, self.client_address[1])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = answer
    do_POST = answer
    do_PUT = answer
    do_DELETE = answer

    def log_message(self, format, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_address[1], flush=True)
sys.stdin.read()  # the test closes stdin (or dies): stop
server.shutdown()
