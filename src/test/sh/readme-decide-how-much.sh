#!/usr/bin/env bash
# Runs README.md's "Decide how much your agent may do alone" block as written, in a fresh
# $HOME with a running daemon and an agent allowed downloads.*, against a real upstream (a
# python3 server that counts the POSTs it gets). Only what a script cannot do interactively is
# adapted: the master password comes from a 0600 file, the token from stdin, the ports are
# free ones, `reload` waits for the daemon to take the catalog, and the approval id is the one
# the daemon answered. Exit 0 when the call waited, ran once after the approval, and the
# rollback restored the level.
set -euo pipefail
source "$(dirname "$0")/readme-lib.sh"
upstream_port="$(free_port)"
daemon_port="$(free_port)"
token="dl-CANARY-$RANDOM$RANDOM"

# The downloader: counts the POSTs to /add in posts.txt and answers "Ok.".
cat > upstream.py <<'PY'
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open("posts.txt", "a") as f: f.write(self.path + "\n")
        self.send_response(200); self.send_header("Content-Length", "3"); self.end_headers(); self.wfile.write(b"Ok.")
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 upstream.py "$upstream_port" &

gh init >/dev/null
mkdir -p -m 700 ~/.gatehouse/services
gh agent add media-bot --allow 'downloads.*' --key-file ./media-bot.key >/dev/null
gh serve --port "$daemon_port" > serve.log 2>&1 &
for _ in $(seq 1 100); do grep -q "listening on" serve.log 2>/dev/null && break; sleep 0.2; done
grep -q "listening on" serve.log || { cat serve.log >&2; exit 1; }
export GATEHOUSE_URL="http://127.0.0.1:$daemon_port"
wait_reloaded() {
  for _ in $(seq 1 100); do grep -q "reload accepted" serve.log && return 0; sleep 0.2; done
  cat serve.log >&2
  return 1
}
approval=""
first_call() {
  local out
  out="$(gh call --key-file ./media-bot.key -a downloads.add --param url=magnet:dune)"
  echo "$out"
  approval="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["approval"])' "$out")"
  [ ! -f posts.txt ] || { echo "the call ran before the approval" >&2; return 1; }
}

block="$(awk '/^## Decide how much your agent may do alone/{f=1} f&&/^```sh/{b=1;next} b&&/^```/{exit} b{print}' "$repo/README.md")"
[ -n "$block" ] || { echo "README block not found" >&2; exit 1; }
block="${block//.\/gatehouse vault add downloads.token/printf %s \"\$token\" | gh vault add downloads.token}"
block="${block//.\/gatehouse reload/gh reload \&\& wait_reloaded}"
block="${block//.\/gatehouse call --key-file .\/media-bot.key -a downloads.add --param url=magnet:dune --approval ID/gh call --key-file ./media-bot.key -a downloads.add --param url=magnet:dune --approval \"\$approval\"}"
block="${block//.\/gatehouse call --key-file .\/media-bot.key -a downloads.add --param url=magnet:dune/first_call}"
block="${block//approvals approve ID/approvals approve \"\$approval\"}"
block="${block//.\/gatehouse/gh}"
block="${block//8080/$upstream_port}"
eval "$block"

[ "$(wc -l < posts.txt)" -eq 1 ] || { echo "expected exactly one POST upstream" >&2; exit 1; }
if gh call --key-file ./media-bot.key -a downloads.add --param url=magnet:dune --approval "$approval" 2>err.txt; then
  echo "a second retry ran" >&2
  exit 1
fi
grep -q "trust-none" err.txt || { cat err.txt >&2; exit 1; }  # refused: the rollback put files back to 0
[ "$(wc -l < posts.txt)" -eq 1 ] || { echo "the second retry reached the upstream" >&2; exit 1; }
gh trust show | grep -E "^files +0 " >/dev/null || { gh trust show >&2; echo "rollback did not restore files to 0" >&2; exit 1; }
if grep -rq -- "$token" serve.log "$HOME/.gatehouse/audit"; then
  echo "the token leaked" >&2
  exit 1
fi
gh audit verify
echo "readme-decide-how-much: ok"
