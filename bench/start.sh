#!/usr/bin/env bash
# The agent's own start: what one `gatehouse call` costs an agent that shells out for every
# action, against the same signed request made with curl and openssl (docs/signing.md's shell
# recipe, docs/examples/sign-with-curl.sh), in one hyperfine run on one running daemon.
#
#   bench/start.sh                  # about 2 minutes; the table on stdout, target/start-bench.json
#   BENCH_RUNS=40 bench/start.sh    # more runs per command (default 20, after 3 warm-up runs)
#
# Compared, each on its own:
#   curl+openssl       sign-with-curl.sh: jq, openssl (digest, HMAC, base64), curl
#   call               ./gatehouse call: the launcher, short-run JVM options, the start cache
#   call, plain JVM    java -jar target/gatehouse.jar call: no launcher options, no cache
#   --version          ./gatehouse --version, and the same with a plain java -jar
#   call --help        ./gatehouse call --help: the command line built, nothing sent
# The daemon (`gatehouse serve`, its own JVM options) answers from a local upstream
# (python3 -m http.server), so the calls differ only in the client.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

runs="${BENCH_RUNS:-20}"
port_base="${BENCH_PORT_BASE:-18280}"
up_port=$((port_base + 1)) gh_port=$((port_base + 2))

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 4; }

. bench/bench-home.sh
command -v hyperfine >/dev/null 2>&1 || bench_install hyperfine
for tool in jq openssl curl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (the reference and the upstream need it)"
done

. .mvn/find-jdk.sh
. .mvn/jvm-start.sh
jdk="$(gatehouse_find_jdk)"
[ -n "$jdk" ] || die "$GATEHOUSE_NO_JDK"

for p in "$up_port" "$gh_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    die "port $p is in use; set BENCH_PORT_BASE to a free range"
  fi
done

# The jar as ./gatehouse builds it, and its start cache made before anything is measured.
./gatehouse --version >/dev/null
jar="$root/target/gatehouse.jar"
cache="$(gatehouse_start_cache "$jdk" "$jar")"
if [ -n "$cache" ]; then
  if [ ! -f "$cache" ]; then
    say "making the start cache $cache ..."
    (gatehouse_build_cache "$jdk" "$jar" "$cache" </dev/null >/dev/null 2>&1) || true
  fi
  command -v flock >/dev/null 2>&1 && flock "$cache.lock" true # a build the launcher started
  if [ ! -f "$cache" ]; then
    die "no start cache at $cache; the table would not be the launcher's"
  fi
fi

work="$(mktemp -d)"
home="$work/home"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/up"
printf '{"items":[{"id":1,"title":"one"},{"id":2,"title":"two"}]}' >"$work/up/data.json"
python3 -m http.server "$up_port" --bind 127.0.0.1 --directory "$work/up" >"$work/up.log" 2>&1 &
pids+=($!)

secret="$(openssl rand -hex 16)"
gh() { "$jdk/bin/java" -jar "$jar" --home "$home" "$@"; }
umask 077
printf 'bench-master-password-%s\n' "$secret" >"$work/password"
bench_home "$home" "$secret"
jq --arg url "http://127.0.0.1:$gh_port" '.url = $url' "$work/agent.key" >"$work/agent.json"
chmod 600 "$work/agent.json"

bench_serve "$home" "$gh_port"

# Both clients must get the upstream's answer through the daemon before anything is timed.
expect="$(cat "$work/up/data.json")"
got="$(docs/examples/sign-with-curl.sh "$work/agent.json" bench.get '{}')"
[ "$got" = "$expect" ] || die "curl+openssl got '$got', not the upstream's answer"
got="$(./gatehouse call --key-file "$work/agent.json" -a bench.get)"
[ "$got" = "$expect" ] || die "gatehouse call got '$got', not the upstream's answer"

names=("curl+openssl" "call" "call, plain JVM" "--version" "--version, plain JVM" "call --help")
cmds=(
  "docs/examples/sign-with-curl.sh $work/agent.json bench.get {}"
  "./gatehouse call --key-file $work/agent.json -a bench.get"
  "$jdk/bin/java -jar $jar call --key-file $work/agent.json -a bench.get"
  "./gatehouse --version"
  "$jdk/bin/java -jar $jar --version"
  "./gatehouse call --help"
)
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
args=()
for i in "${!names[@]}"; do args+=("--command-name=${names[$i]}" "${cmds[$i]}"); done
mkdir -p target
hyperfine -N --warmup 3 --runs "$runs" --export-json target/start-bench.json "${args[@]}" >&2
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

jdk_version="$(gatehouse_java_runtime_version "$jdk")"
echo
echo "### $(date -u +%Y-%m-%d), $(nproc) cores, JDK $jdk_version, load average $load_before before, $load_after after"
echo
echo "hyperfine -N, $runs runs after 3 warm-up runs, each command on its own; CPU is user + system, mean."
echo
echo "| command | median wall | CPU | wall vs curl+openssl | CPU vs curl+openssl |"
echo "|---|---|---|---|---|"
jq -r '
  .results as $r
  | ($r[] | select(.command == "curl+openssl")) as $ref
  | $r[]
  | "| \(.command) | \(.median * 1000 | round) ms | \((.user + .system) * 1000 | round) ms | "
    + "\(.median / $ref.median * 100 | round / 100)× | \((.user + .system) / ($ref.user + $ref.system) * 100 | round / 100)× |"
' target/start-bench.json
