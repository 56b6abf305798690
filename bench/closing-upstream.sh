#!/usr/bin/env bash
# Gatehouse in front of an upstream that closes every connection: Python's http.server
# (HTTP/1.0, one request per connection, like many small embedded web UIs) serving a small
# JSON file, under a signed load at saturation (LoadGenerator). Prints the load generator's
# line (req/s, latency, errors) and the broker.result outcomes in the audit log.
#
#   bench/closing-upstream.sh                     # 16 connections, 10 s
#   BENCH_CONCURRENCY=8 BENCH_SATURATE_S=5 bench/closing-upstream.sh
#   GATEHOUSE_JAR=/tmp/other.jar bench/closing-upstream.sh    # another build, for an A/B
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
concurrency="${BENCH_CONCURRENCY:-16}"
saturate_s="${BENCH_SATURATE_S:-10}"
port_base="${BENCH_PORT_BASE:-18280}"
up_port=$((port_base + 1)) gh_port=$((port_base + 3))
say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 4; }
command -v python3 >/dev/null 2>&1 || die "python3 is missing (Debian: apt-get install -y python3)"
. .mvn/find-jdk.sh
jdk="$(gatehouse_find_jdk)"
[ -n "$jdk" ] || die "$GATEHOUSE_NO_JDK"
say "building (package + test classes) ..."
./mvnw -q -B -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
jar="${GATEHOUSE_JAR:-target/gatehouse.jar}"
cp="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"

work="$(mktemp -d /tmp/gatehouse-closing-bench.XXXXXX)"
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir -p "$work/www"
echo '{"status":"ok","version":"0.27.1"}' >"$work/www/data.json"
(cd "$work/www" && exec python3 -m http.server "$up_port" --bind 127.0.0.1 >"$work/python.log" 2>&1) &
pids+=("$!")

gh() { "$jdk/bin/java" -jar "$jar" --home "$work/home" "$@"; }
umask 077
printf 'bench-master-password-%s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$work/password"
. bench/bench-home.sh
bench_home "$work/home" closing-bench-key
bench_serve "$work/home" "$gh_port"

say "load: $concurrency connections, $saturate_s s, load average now $(cut -d' ' -f1-3 /proc/loadavg)"
"$jdk/bin/java" -cp "$cp" dev.gatehouse.bench.LoadGenerator --key-file "$work/agent.key" \
  --target "gatehouse=http://127.0.0.1:$gh_port/v1/actions/bench.get" --only-saturate --rounds 1 \
  --concurrency "$concurrency" --warmup-s 2 --saturate-s "$saturate_s" 2>&1 | grep -E '^round'
sleep 0.5 # the last outcomes reach the log within 100 ms
echo "broker.result outcomes (warm-up included):"
grep -ho '"type":"broker.result".*"outcome":"[a-z-]*"' "$work/home"/audit/*.jsonl | grep -o '"outcome":"[a-z-]*"' \
  | sort | uniq -c
echo "retried calls: $(grep -c '"retried"' "$work/home"/audit/*.jsonl || true)"
