#!/usr/bin/env bash
# Runs README.md's "Gate your chat bot" block as written, in a fresh $HOME, against a local
# server speaking Telegram's Bot API (fake-telegram.py, next to this script), then plays the
# person on the phone: a stranger's message, the pairing code, a challenge, the code from the
# authenticator app, a forwarded message and its answer. Only what a script cannot do
# interactively is adapted: the master password comes from a 0600 file, the token from stdin,
# the ports are free ones, `serve` runs in the background, `api_url` points at the local
# server, and the phone's messages are sent before `pair list` and the code is the one the
# bot sent. Exit 0 when the conversation went as README says and nothing leaked.
set -euo pipefail
source "$(dirname "$0")/readme-lib.sh"
api_port="$(free_port)"
daemon_port="$(free_port)"
token="7301234567:AAE-CANARY-readme-$RANDOM$RANDOM"
python3 "$repo/src/test/sh/fake-telegram.py" "$api_port" "$token" &
api="http://127.0.0.1:$api_port"

gh init >/dev/null
# "Enroll your authenticator app", as a script: the key from the URI, codes computed here.
secret="$(gh totp setup --account owner@home | sed -n 's/.*otpauth URI: .*secret=\([A-Z2-7]*\).*/\1/p')"
[ -n "$secret" ] || { echo "no otpauth URI printed" >&2; exit 1; }
totp_code() {
  python3 - "$secret" "${1:-0}" <<'PY'
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
step = int(time.time()) // 30 + int(sys.argv[2])
h = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
}
gh totp setup --confirm "$(totp_code)" >/dev/null

# The phone: send a message as the owner's Telegram account, print what the bot sent back.
owner=424242
say() {
  local before
  before="$(curl -s "$api/control/sent" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
  curl -s -X POST "$api/control/say" -d "{\"from\": $owner, \"text\": \"$1\"}" >/dev/null
  for _ in $(seq 1 150); do
    out="$(curl -s "$api/control/sent" | python3 -c "import json,sys; [print(m['text']) for m in json.load(sys.stdin)[$before:]]")"
    [ -n "$out" ] && { echo "$out"; return 0; }
    sleep 0.2
  done
  echo "the bot did not answer '$1'" >&2
  cat serve.log >&2
  return 1
}
pairing_code=""
phone_writes_first() {
  reply="$(say "hi, it's me")"
  echo "bot: $reply"
  pairing_code="$(grep -o 'pair approve [A-Z2-9]\{8\}' <<<"$reply" | awk '{print $3}')"
  [ -n "$pairing_code" ] || { echo "no pairing code in the bot's answer" >&2; return 1; }
}
wait_listening() {
  for _ in $(seq 1 100); do
    grep -q "Telegram bridge is polling" serve.log 2>/dev/null && return 0
    sleep 0.2
  done
  cat serve.log >&2
  return 1
}

# The README block, with the adaptations above.
block="$(awk '/^## Gate your chat bot/{f=1} f&&/^```sh/{b=1;next} b&&/^```/{exit} b{print}' "$repo/README.md")"
[ -n "$block" ] || { echo "README block not found" >&2; exit 1; }
block="${block//.\/gatehouse serve/gh serve --port $daemon_port > serve.log 2>\&1 \& wait_listening}"
block="${block//.\/gatehouse vault add telegram.token/printf %s \"\$token\" | gh vault add telegram.token}"
block="${block//.\/gatehouse pair list/phone_writes_first; gh pair list}"
block="${block//.\/gatehouse pair approve K7QM2XPA/gh pair approve \"\$pairing_code\"}"
block="${block//    token_secret: telegram.token/    token_secret: telegram.token
    api_url: $api
    poll_seconds: 1}"
block="${block//.\/gatehouse/gh}"
eval "$block"

# Step 6 as the owner does it, then a message that reaches ask-my-agent.
reply="$(say "what's on my calendar?")"; echo "bot: $reply"
grep -q "authenticator" <<<"$reply" || { echo "expected a challenge" >&2; exit 1; }
reply="$(say "$(totp_code 1)")"; echo "bot: $reply"   # the next step: setup spent this one
grep -q "verified" <<<"$reply" || { echo "expected the code to be accepted" >&2; exit 1; }
curl -s "$api/control/deleted" | grep -q "message_id" || { echo "the code message was not deleted" >&2; exit 1; }
reply="$(say "hello bot")"; echo "bot: $reply"
[ "$reply" = "You said: hello bot" ] || { echo "expected ask-my-agent's answer" >&2; exit 1; }

secret_part="${token#*:}"
if grep -rq -- "$secret_part" serve.log "$HOME/.gatehouse/audit" "$HOME/.gatehouse/gatehouse.yaml"; then
  echo "the bot token leaked" >&2
  exit 1
fi
if tr '\0' '\n' < "/proc/$(cat "$HOME/.gatehouse/serve.pid")/cmdline" | grep -q -- "$secret_part" \
  || tr '\0' '\n' < "/proc/$(cat "$HOME/.gatehouse/serve.pid")/environ" | grep -q -- "$secret_part"; then
  echo "the bot token is in the daemon's argv or environment" >&2
  exit 1
fi
gh audit verify
