# Shared by the README scripts (sourced, never run): a fresh $HOME in a temporary folder that
# is removed at exit with everything started in it, a free-port helper, a 0600 password file,
# and `gh`, the repository's launcher with that file. The caller has `set -euo pipefail`.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
work="$(mktemp -d)"
stop_all() {
  [ -f "$work/.gatehouse/serve.pid" ] && kill "$(cat "$work/.gatehouse/serve.pid")" 2>/dev/null
  kill $(jobs -p) 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap 'stop_all || true' EXIT
export HOME="$work"
unset GATEHOUSE_HOME GATEHOUSE_URL GATEHOUSE_AGENT_KEY_FILE
cd "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
printf 'correct horse battery staple\n' > pw && chmod 600 pw
gh() { "$repo/gatehouse" --password-file "$work/pw" "$@"; }
