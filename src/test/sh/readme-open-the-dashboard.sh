#!/usr/bin/env bash
# Runs README.md's "Open the dashboard" block as written, in a fresh $HOME, and then does in
# headless chromium what the section tells a person to do in their browser: sign in as alice,
# approve one waiting request with `Approve`, see its audit entry's proof verified in the page,
# deny another with `Deny`. Only what a script cannot do interactively is adapted: the master
# password comes from a 0600 file, alice's password from stdin, her authenticator is Debian's
# oathtool reading the key `user totp` printed, the port is a free one, and the two waiting
# calls come from "Decide how much your agent may do alone". Needs playwright-core in
# target/npm (ReadmeDashboardIT installs it). Exit 0 when the browser saw all of it.
set -euo pipefail
source "$(dirname "$0")/readme-lib.sh"
daemon_port="$(free_port)"
user_pw="a long owner passphrase"

key=""
last=0
# A code from a later time step than the one before (the user's TOTP core accepts a step once).
next_code() {
  local now step tries
  for tries in $(seq 1 40); do
    now=$(date +%s)
    for step in $((now / 30)) $((now / 30 + 1)); do
      if [ "$step" -gt "$last" ]; then
        last=$step
        code="$(oathtool --totp -b -N "@$((step * 30))" "$key")"
        return
      fi
    done
    sleep 1
  done
  echo "no usable step" >&2
  return 1
}
add_user() { printf '%s\n' "$user_pw" | gh user add "$@" --password-stdin; }
enroll() {
  gh user totp "$@" </dev/null > totp.txt
  key="$(sed -n 's/.*secret=\([A-Z2-7]*\).*/\1/p' totp.txt | head -1)"
  [ -n "$key" ] || { cat totp.txt >&2; return 1; }
  next_code
  gh user totp "$@" --confirm "$code"
}
serve() {
  gh serve --port "$daemon_port" > serve.log 2>&1 &
  for _ in $(seq 1 100); do grep -q "listening on" serve.log 2>/dev/null && return 0; sleep 0.2; done
  cat serve.log >&2
  return 1
}

block="$(awk '/^## Open the dashboard/{f=1} f&&/^```sh/{b=1;next} b&&/^```/{exit} b{print}' "$repo/README.md")"
[ -n "$block" ] || { echo "README block not found" >&2; exit 1; }
block="${block//.\/gatehouse user add/add_user}"
block="${block//.\/gatehouse user totp alice --confirm CODE/true}"
block="${block//.\/gatehouse user totp/enroll}"
block="${block//.\/gatehouse serve/serve}"
block="${block//.\/gatehouse/gh}"
eval "$block"
grep -q "http://127.0.0.1:$daemon_port" serve.log

# Two calls of an agent in a suggest domain wait for the owner (README "Decide how much ...").
export GATEHOUSE_URL="http://127.0.0.1:$daemon_port"
gh agent add media-bot --allow 'downloads.*' --key-file ./media-bot.key >/dev/null
printf 'dl-token' | gh vault add downloads.token >/dev/null
mkdir -p -m 700 ~/.gatehouse/services
cat > ~/.gatehouse/services/downloads.yaml <<'YAML'
service: downloads
base_url: http://127.0.0.1:9
allow_private: ["127.0.0.1/32"]
auth: { type: bearer, secret: downloads.token }
actions:
  add: { method: POST, path: /add, params: { url: string }, domain: files }
YAML
chmod 600 ~/.gatehouse/services/downloads.yaml
gh reload >/dev/null
for _ in $(seq 1 100); do grep -q "reload accepted" serve.log && break; sleep 0.2; done
gh trust set files suggest --reason "ask me before anything is downloaded" >/dev/null
approval() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split("\n")[0])["approval"])'; }
first="$(gh call --key-file ./media-bot.key -a downloads.add --param url=magnet:dune 2>/dev/null | approval)"
second="$(gh call --key-file ./media-bot.key -a downloads.add --param url=magnet:arrakis 2>/dev/null | approval)"

# The browser, as the section says: open the address, sign in, Approve, the audit entry, Deny.
next_code
umask 077
python3 - "$daemon_port" "$user_pw" "$code" "$first" "$second" > browser-input.json <<'PY'
import json, sys
port, pw, code, first, second = sys.argv[1:]
print(json.dumps({"base": f"http://127.0.0.1:{port}", "user": "alice", "password": pw, "codes": [code],
                  "approve": first, "deny": second, "screenshots": ""}))
PY
(cd "$repo" && GATEHOUSE_BROWSER_INPUT="$work/browser-input.json" node src/test/js/dashboard-flow.mjs) > browser.json
python3 - browser.json <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
assert "error" not in out, out["error"]
assert out["problems"] == [], out["problems"]
assert out["proof"]["result"] == "verified", out["proof"]
assert out["proof"]["actor"] == "owner:alice", out["proof"]
assert out["afterApprove"].startswith("Approved"), out
assert out["afterDeny"].startswith("Denied"), out
print("browser:", out["proof"]["text"])
PY
gh approvals list | grep -E "^$first .* approved " >/dev/null || { gh approvals list >&2; exit 1; }
gh approvals list | grep -E "^$second .* denied " >/dev/null || { gh approvals list >&2; exit 1; }
if grep -rq -- "$user_pw" serve.log "$HOME/.gatehouse/audit"; then
  echo "the password leaked" >&2
  exit 1
fi
gh audit verify
echo "readme-open-the-dashboard: ok"
