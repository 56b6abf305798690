#!/usr/bin/env bash
# Runs the installed daemon under gatehouse.service's system call rules (SystemCallFilter=,
# SystemCallErrorNumber=, RestrictAddressFamilies=) without systemd as PID 1: a manual check
# for machines where the unit cannot be started (docs/service.md, "What is tested").
# Needs a built target/gatehouse.jar, gcc, libseccomp-dev, curl and systemd-analyze.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
repo="$(dirname "$(dirname "$here")")"
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The unit's rules, expanded: @system-service less @privileged and @resources.
expand() {
  systemd-analyze syscall-filter "$1" | tail -n +2 | sed 's/#.*//' | while read -r name _; do
    [ -n "$name" ] || continue
    case "$name" in
      @*) expand "$name" ;;
      *) echo "$name" ;;
    esac
  done
}
unit="$repo/packaging/gatehouse.service"
for rule in 'SystemCallFilter=@system-service' 'SystemCallFilter=~@privileged @resources' \
    'SystemCallErrorNumber=EPERM' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX'; do
  if ! grep -qx -- "$rule" "$unit"; then
    echo "run.sh: the unit no longer says $rule; change this check with it" >&2
    exit 2
  fi
done
expand @system-service | sort -u > "$work/service"
{ expand @privileged; expand @resources; } | sort -u > "$work/denied"
comm -23 "$work/service" "$work/denied" > "$work/allowed"

gcc -O -o "$work/filter" "$here/filter.c" -lseccomp
mkdir "$work/root"
bash "$repo/packaging/install.sh" --prefix "$work/root" >/dev/null
gatehouse="$work/root/opt/gatehouse/bin/gatehouse"
home="$work/root/var/lib/gatehouse"
"$gatehouse" --home "$home" init --sealed >/dev/null

echo "== a filtered call is refused under the rules:"
if "$work/filter" "$work/allowed" "$(command -v taskset)" -c 0 /bin/true; then # sched_setaffinity, of @resources
  echo "run.sh: taskset was allowed; the filter is not in force" >&2
  exit 1
fi

echo "== serve, sealed mode, under the rules:"
(umask 077 && exec "$work/filter" "$work/allowed" "$gatehouse" --home "$home" serve --port 0 >"$work/out" 2>"$work/err") &
pid=$!
for _ in $(seq 1 120); do
  grep -q 'listening on' "$work/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/out" "$work/err"; echo "run.sh: serve exited" >&2; exit 1; }
  sleep 0.5
done
cat "$work/out"
port="$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/out")"
health="$(curl -s "http://127.0.0.1:$port/v1/health")"
echo "GET /v1/health: $health"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
echo "serve stopped on SIGTERM with status $status"
"$work/filter" "$work/allowed" "$gatehouse" --home "$home" audit verify
case "$health" in
  *'"status":"ok"'*) [ "$status" = 143 ] || [ "$status" = 0 ] ;;
  *) echo "run.sh: the daemon was not healthy" >&2; exit 1 ;;
esac
echo "== the daemon ran, answered and stopped cleanly under the unit's system call rules"
