# shellcheck shell=bash
# Sourced by the load benchmarks (broker.sh, closing-upstream.sh, start.sh): a Gatehouse home set
# up for a broker benchmark, its daemon, and the Debian packages a benchmark needs.
#   bench_install PACKAGE      # apt-get install -y PACKAGE (root), or exit 4 saying how
#   bench_home HOME SECRET     # init, limits raised, bench.apikey = SECRET, service bench,
#                              # agent bench-bot whose key is $work/agent.key. Needs gh (the
#                              # gatehouse command on that home), $work (holding the password
#                              # file) and $up_port (the upstream).
#   bench_serve HOME PORT [LOG] # starts `gatehouse serve` ($jdk, $jar) on HOME, its output in
#                              # $work/LOG.{out,err} (LOG: serve); sets gh_pid (added to pids) and
#                              # returns once /v1/health answers, else exits 4 with its errors
bench_install() {
  local p="$1"
  echo "bench: $p is missing; installing Debian's $p (apt-get install -y $p) ..." >&2
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "bench: cannot install $p: not root or no apt-get. Install it (apt-get install -y $p) and run again." >&2
    exit 4
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y "$p" >&2 || { apt-get update >&2 && apt-get install -y "$p" >&2; } \
    || { echo "bench: apt-get install -y $p FAILED; the benchmark needs Debian's $p" >&2; exit 4; }
}

bench_serve() {
  local home="$1" port="$2" log="${3:-serve}" _
  "$jdk/bin/java" -jar "$jar" --home "$home" --password-file "$work/password" serve --port "$port" \
    >"$work/$log.out" 2>"$work/$log.err" &
  gh_pid=$!
  pids+=("$gh_pid")
  for _ in $(seq 150); do
    curl -fsS "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && return 0
    if ! kill -0 "$gh_pid" 2>/dev/null; then
      cat "$work/$log.err" >&2
      echo "bench: gatehouse serve exited" >&2
      exit 4
    fi
    sleep 0.2
  done
  cat "$work/$log.err" >&2
  echo "bench: gatehouse serve is not healthy" >&2
  exit 4
}

bench_home() {
  local home="$1" secret="$2"
  # Small KDF parameters only make init and unseal quick; the per-request path is the same.
  gh init --password-file "$work/password" --kdf-memory-mib 8 --kdf-iterations 1 >/dev/null
  # The default rate limits (120 calls/minute per agent) would answer most of the load with 429:
  # raise them to the highest a limit takes, so the benchmark measures the broker, not the
  # limiter (which still counts every call).
  sed -i -E 's#^(  per_(agent|action|source)): [^ ]+#\1: 100000/second#' "$home/gatehouse.yaml"
  grep -q 'per_agent: 100000/second' "$home/gatehouse.yaml" || { echo "bench: could not raise the rate limits" >&2; exit 1; }
  printf '%s' "$secret" | gh vault add bench.apikey --password-file "$work/password" >/dev/null
  mkdir -p -m 700 "$home/services"
  cat >"$home/services/bench.yaml" <<YAML
service: bench
base_url: http://127.0.0.1:$up_port
allow_private: ["127.0.0.1/32"]
auth: { type: header, name: X-Api-Key, secret: bench.apikey }
actions:
  get: { method: GET, path: /data.json }
YAML
  chmod 600 "$home/services/bench.yaml"
  gh agent add bench-bot --allow 'bench.*' --key-file "$work/agent.key" --password-file "$work/password" >/dev/null
  gh trust set integrations full --reason "benchmark agent runs alone" --password-file "$work/password" >/dev/null
}
