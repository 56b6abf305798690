# Sourced by the load benchmarks (broker.sh, closing-upstream.sh): one Gatehouse home set up
# for a broker benchmark. Needs gh (the gatehouse command on that home), $work (holding the
# password file) and $up_port (the upstream).
#   bench_home HOME SECRET     # init, limits raised, bench.apikey = SECRET, service bench,
#                              # agent bench-bot whose key is $work/agent.key
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
