#!/usr/bin/env bash
# Runs README.md's "Give an agent a capability" block as written, in a fresh $HOME, against a
# real upstream (python3's http.server). Only what a script cannot do interactively is
# adapted: the master password comes from a 0600 file, the vault value from stdin, the
# ports are free ones, and `serve` runs in the background. Exit 0 when the call printed the
# upstream's answer without the key.
set -euo pipefail
source "$(dirname "$0")/readme-lib.sh"
upstream_port="$(free_port)"
daemon_port="$(free_port)"
key="jk-CANARY-$RANDOM$RANDOM"

# The upstream: answers the search path with a JSON file (query ignored).
mkdir -p upstream/api/v2.0/indexers/all
printf '{"Results":[{"Title":"Dune Part Two 2160p"}]}' > upstream/api/v2.0/indexers/all/results
(cd upstream && exec python3 -m http.server "$upstream_port" --bind 127.0.0.1 >/dev/null 2>&1) &

gh init >/dev/null

# The README block, with the adaptations above.
block="$(awk '/^## Give an agent a capability/{f=1} f&&/^```sh/{b=1;next} b&&/^```/{exit} b{print}' "$repo/README.md")"
[ -n "$block" ] || { echo "README block not found" >&2; exit 1; }
block="${block//.\/gatehouse serve/gh serve --port $daemon_port > serve.log 2>\&1 \& wait_listening}"
block="${block//.\/gatehouse vault add jackett.apikey/printf %s $key | gh vault add jackett.apikey}"
block="${block//.\/gatehouse/gh}"
block="${block//9117/$upstream_port}"
wait_listening() {
  for _ in $(seq 1 100); do
    grep -q "listening on" serve.log 2>/dev/null && return 0
    sleep 0.2
  done
  cat serve.log >&2
  return 1
}
export GATEHOUSE_URL="http://127.0.0.1:$daemon_port"
out="$(eval "$block")"
echo "$out"
grep -q "Dune Part Two 2160p" <<<"$out" || { echo "the call did not print the upstream's answer" >&2; exit 1; }
if grep -rq "$key" <<<"$out" serve.log "$HOME/.gatehouse/audit"; then
  echo "the upstream key leaked" >&2
  exit 1
fi
if grep -qa "$key" "/proc/$(cat "$HOME/.gatehouse/serve.pid")/environ"; then
  echo "the upstream key is in the daemon's environment" >&2
  exit 1
fi
gh audit verify
