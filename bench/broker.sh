#!/usr/bin/env bash
# Gatehouse's broker against nginx, in one run, on one local upstream:
#   (a) direct    Debian's nginx serving a small JSON file (bench/nginx/upstream.conf)
#   (b) proxy     Debian's nginx as a reverse proxy injecting the credential header with
#                 proxy_set_header (bench/nginx/proxy.conf): what a user would build by hand
#   (c) gatehouse `gatehouse serve`: signed requests, replay store, durable audit
# and references for what Gatehouse is built on:
#   (d) helidon   Helidon's server and client forwarding with one injected header, nothing else
#                 (src/test/java/dev/gatehouse/bench/BareProxy.java): the HTTP stack's ceiling
#   (e) vertx     the same bare proxy on Vert.x 5 (VertxBareProxy.java)  } the stack experiment:
#   (f) jetty     the same bare proxy on Jetty 12 (JettyBareProxy.java)  } other stacks' cost
#       vertx-vt  (only when named in BENCH_TARGETS) the Vert.x proxy with each request on a
#                 virtual thread that awaits each step, as Gatehouse's blocking broker would run
#   (g) disk      one durable append (write + fdatasync) at the open-loop rates, alone
#                 (src/test/java/dev/gatehouse/bench/DiskProbe.java): the durability floor
# The load generator (src/test/java/dev/gatehouse/bench/LoadGenerator.java) signs every
# request freshly and measures requests/s at saturation and latency at a fixed arrival rate,
# and each target's CPU per call at saturation (its processes' /proc/PID/stat ticks over the
# calls counted; for nginx, the master and workers of that instance: the worker CPU). It then
# prints issue 19's figures (Gatehouse's own CPU per call = gatehouse - helidon, throughput vs
# helidon and vs the nginx proxy, added p50 and p99 at 1,000 req/s, vertx and jetty CPU per
# call over helidon's), also in target/broker-bench.json.
#
#   bench/broker.sh                 # the comparison, about 10 minutes; target/broker-bench.json
#   bench/broker.sh --profile       # Gatehouse alone at saturation under JFR; target/broker-bench.jfr
#                                   # and a summary in target/broker-profile.txt
#   BENCH_ROUNDS=5 BENCH_RATE=2000 bench/broker.sh    # see the variables below
#   BENCH_TARGETS=helidon,vertx,jetty,direct bench/broker.sh   # a subset (default: all six;
#                                   # vertx-vt, the virtual-thread variant, only when named)
#   GATEHOUSE_JAR=/path/to/old/gatehouse.jar bench/broker.sh   # another build as the gatehouse
#                                   # target (its lib/ beside it), for a before/after
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jar="${GATEHOUSE_JAR:-$root/target/gatehouse.jar}"
case "$jar" in /*) ;; *) jar="$PWD/$jar" ;; esac # as the caller named it, before the cd
cd "$root"

mode=compare
[ "${1:-}" = "--profile" ] && mode=profile

rounds="${BENCH_ROUNDS:-3}"
rate="${BENCH_RATE:-1000,200}"
concurrency="${BENCH_CONCURRENCY:-32}"
warmup_s="${BENCH_WARMUP_S:-8}"
saturate_s="${BENCH_SATURATE_S:-6}"
rate_s="${BENCH_RATE_S:-8}"
port_base="${BENCH_PORT_BASE:-18080}"
up_port=$((port_base + 1)) proxy_port=$((port_base + 2)) gh_port=$((port_base + 3)) bare_port=$((port_base + 4))
vertx_port=$((port_base + 5)) jetty_port=$((port_base + 6)) vertx_vt_port=$((port_base + 7))
all_targets=direct,proxy,gatehouse,helidon,vertx,vertx-vt,jetty
targets="${BENCH_TARGETS:-direct,proxy,gatehouse,helidon,vertx,jetty}"

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 4; }
want() { case ",$targets," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

for t in ${targets//,/ }; do
  case ",$all_targets," in *",$t,"*) ;; *) die "BENCH_TARGETS: unknown target '$t' (known: $all_targets)" ;; esac
done
[ "$mode" = profile ] && targets=gatehouse
[ -n "${targets//,/}" ] || die "BENCH_TARGETS names no target (known: $all_targets)"

# ---- nginx --------------------------------------------------------------------------------
. bench/bench-home.sh
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  bench_install nginx # policy-rc.d may refuse to start the system service; that is fine, we run our own
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

. .mvn/find-jdk.sh
jdk="$(gatehouse_find_jdk)"
[ -n "$jdk" ] || die "$GATEHOUSE_NO_JDK"

for p in "$up_port" "$proxy_port" "$gh_port" "$bare_port" "$vertx_port" "$jetty_port" "$vertx_vt_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    die "port $p is in use; set BENCH_PORT_BASE to a free range"
  fi
done

# ---- build --------------------------------------------------------------------------------
say "building (package + test classes) ..."
./mvnw -q -B -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
cp="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
[ -f "$jar" ] || die "GATEHOUSE_JAR: no such file: $jar"
[ "$jar" = "$root/target/gatehouse.jar" ] || say "gatehouse target: $jar (GATEHOUSE_JAR)"

# ---- temporary world ------------------------------------------------------------------------
work="$(mktemp -d /tmp/gatehouse-broker-bench.XXXXXX)"
ngx="$work/nginx"           # nginx's prefix: world-readable, its workers run as www-data
home="$work/home"           # the Gatehouse home: 0700, made by init
pids=()
cleanup() {
  set +e
  for pidfile in "$ngx/upstream.pid" "$ngx/proxy.pid"; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  sleep 0.3
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
chmod 755 "$work"
mkdir -p "$ngx/logs" "$ngx/www"
chmod 755 "$ngx" "$ngx/www"
# A small JSON answer (~300 bytes), like an indexer's status call.
cat >"$ngx/www/data.json" <<'JSON'
{"status":"ok","version":"0.27.1","indexers":[{"id":"1337x","name":"1337x","type":"public","configured":true},{"id":"rarbg","name":"RARBG","type":"public","configured":false},{"id":"nyaa","name":"Nyaa","type":"public","configured":true}],"updated":"2026-11-29T12:00:00Z"}
JSON
chmod 644 "$ngx/www/data.json"
secret="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

render() { # template out
  sed -e "s#@PREFIX@#$ngx#g" -e "s#@UPSTREAM_PORT@#$up_port#g" -e "s#@SECRET@#$secret#g" \
    -e "s#@PORT@#$2#g" "$1" >"$3"
}
render bench/nginx/upstream.conf "$up_port" "$ngx/upstream.conf"
"$nginx_bin" -p "$ngx" -c "$ngx/upstream.conf" -g "pid $ngx/upstream.pid;" || die "nginx (upstream) did not start"
if want proxy; then
  render bench/nginx/proxy.conf "$proxy_port" "$ngx/proxy.conf"
  "$nginx_bin" -p "$ngx" -c "$ngx/proxy.conf" -g "pid $ngx/proxy.pid;" || die "nginx (proxy) did not start"
fi

# The processes whose CPU counts for an nginx instance: its master and its workers.
nginx_pids() { # pidfile
  local master
  master="$(cat "$1")"
  printf '%s' "$master"
  for w in $(ps -o pid= --ppid "$master"); do printf ',%s' "$w"; done
}

gh() { "$jdk/bin/java" -jar "$jar" --home "$home" "$@"; }
umask 077
printf 'bench-master-password-%s\n' "$secret" >"$work/password"
chmod 600 "$work/password"
bench_home "$home" "$secret"

gh_pid=
if want gatehouse; then
  bench_serve "$home" "$gh_port"
  curl -fsS "http://127.0.0.1:$gh_port/v1/health" >&2 || die "gatehouse serve is not healthy"
  echo >&2
fi

gen() {
  "$jdk/bin/java" -Xms512m -Xmx512m -XX:+UseParallelGC -cp "$cp" dev.gatehouse.bench.LoadGenerator \
    --key-file "$work/agent.key" "$@"
}

# References (d)-(f): an HTTP stack alone (server + client, one injected header, no checks),
# default JVM flags like the daemon: (d) is the ceiling of this design before its work, (e) and
# (f) what another stack would cost in its place.
printf '%s' "$secret" >"$work/secret"
declare -A bare_pid=()
start_bare() { # name class port [option...]
  "$jdk/bin/java" -cp "$cp" "dev.gatehouse.bench.$2" --port "$3" "${@:4}" \
    --upstream "http://127.0.0.1:$up_port/data.json" --header X-Api-Key --value-file "$work/secret" \
    >"$work/$1.out" 2>"$work/$1.err" &
  bare_pid[$1]=$!
  pids+=("$!")
  for _ in $(seq 100); do
    curl -fsS -X POST -d '{}' "http://127.0.0.1:$3/x" >/dev/null 2>&1 && break
    kill -0 "${bare_pid[$1]}" 2>/dev/null || break
    sleep 0.2
  done
  curl -fsS -X POST -d '{}' "http://127.0.0.1:$3/x" >/dev/null || { cat "$work/$1.err" >&2; die "the bare proxy $1 did not start"; }
}
if [ "$mode" = compare ]; then
  want helidon && start_bare helidon BareProxy "$bare_port"
  want vertx && start_bare vertx VertxBareProxy "$vertx_port"
  want vertx-vt && start_bare vertx-vt VertxBareProxy "$vertx_vt_port" --threading virtual
  want jetty && start_bare jetty JettyBareProxy "$jetty_port"
fi

# Reference (e): one durable 600-byte append (write + fdatasync) at the same rates, on the disk
# the home is on, with nothing else running: the floor a durable decision stands on. Measured
# before the load and again after it (when the disk is still writing back what the load left).
disk() {
  say "disk: durable appends in $work at ${rate} /s, ${rate_s} s x ${rounds}, $1 ..."
  "$jdk/bin/java" -cp "$cp" dev.gatehouse.bench.DiskProbe --dir "$work" --rate "$rate" --seconds "$rate_s" \
    --rounds "$rounds" --label "$2"
}

say "machine: $(nproc) cores, $(uname -r); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$mode" = compare ]; then
  # The disk is Gatehouse's floor: measured only when Gatehouse is.
  want gatehouse && disk before "before the load" | tee target/broker-bench-disk.txt
  args=()
  for t in ${all_targets//,/ }; do # always in this order: direct and proxy are the tables' columns
    want "$t" || continue
    case "$t" in
      direct) args+=(--target "direct=http://127.0.0.1:$up_port/data.json"
                     --pids "direct=$(nginx_pids "$ngx/upstream.pid")"
                     --meta "cpu_of.direct=nginx master + workers: the worker CPU") ;;
      proxy) args+=(--target "proxy=http://127.0.0.1:$proxy_port/data.json"
                    --pids "proxy=$(nginx_pids "$ngx/proxy.pid")"
                    --meta "cpu_of.proxy=nginx master + workers: the worker CPU") ;;
      gatehouse) args+=(--target "gatehouse=http://127.0.0.1:$gh_port/v1/actions/bench.get"
                        --pids "gatehouse=$gh_pid" --meta "cpu_of.gatehouse=the daemon's JVM") ;;
      helidon) args+=(--target "helidon=http://127.0.0.1:$bare_port/v1/actions/bench.get"
                      --pids "helidon=${bare_pid[helidon]}" --meta "cpu_of.helidon=its JVM") ;;
      vertx) args+=(--target "vertx=http://127.0.0.1:$vertx_port/v1/actions/bench.get"
                    --pids "vertx=${bare_pid[vertx]}" --meta "cpu_of.vertx=its JVM") ;;
      vertx-vt) args+=(--target "vertx-vt=http://127.0.0.1:$vertx_vt_port/v1/actions/bench.get"
                       --pids "vertx-vt=${bare_pid[vertx-vt]}" --meta "cpu_of.vertx-vt=its JVM") ;;
      jetty) args+=(--target "jetty=http://127.0.0.1:$jetty_port/v1/actions/bench.get"
                    --pids "jetty=${bare_pid[jetty]}" --meta "cpu_of.jetty=its JVM") ;;
    esac
  done
  gen "${args[@]}" --clk-tck "$(getconf CLK_TCK)" \
      --meta "gatehouse_jar=$jar" --meta "gatehouse_jar_sha256=$(sha256sum "$jar" | cut -c1-16)" \
      --rounds "$rounds" --rate "$rate" --concurrency "$concurrency" --rate-workers "$concurrency" \
      --warmup-s "$warmup_s" --saturate-s "$saturate_s" --rate-s "$rate_s" --out target/broker-bench.json
  say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  if want gatehouse; then
    say "audit entries written: $(cat "$home"/audit/*.jsonl 2>/dev/null | wc -l)"
    disk after "after the load" | tee -a target/broker-bench-disk.txt
  fi
else
  jfr_file="$root/target/broker-bench.jfr"
  rm -f "$jfr_file"
  profile_s="${BENCH_PROFILE_S:-20}"
  gen --target "gatehouse=http://127.0.0.1:$gh_port/v1/actions/bench.get" --only-saturate --rounds 1 \
      --concurrency "$concurrency" --warmup-s "$warmup_s" --saturate-s "$((profile_s + 4))" \
      --out target/broker-profile-run.json &
  gen_pid=$!
  pids+=("$gen_pid")
  sleep "$((warmup_s + 4))"
  cpu0=$(awk '{print $14+$15}' "/proc/$gh_pid/stat")
  "$jdk/bin/jcmd" "$gh_pid" JFR.start name=bench settings=profile duration="${profile_s}s" filename="$jfr_file" \
    jdk.ThreadPark#threshold=1ms jdk.JavaMonitorEnter#threshold=1ms jdk.FileForce#threshold=0ms \
    jdk.FileWrite#threshold=0ms >&2
  sleep "$profile_s"
  cpu1=$(awk '{print $14+$15}' "/proc/$gh_pid/stat")
  wait "$gen_pid"
  sleep 2
  say "gatehouse CPU during the recording: $(( (cpu1 - cpu0) / $(getconf CLK_TCK) )) s of ${profile_s} s wall on $(nproc) cores"
  bench/jfr-summary.sh "$jfr_file" | tee target/broker-profile.txt
fi
