#!/usr/bin/env bash
# Gatehouse on PostgreSQL with 1, 2 and 3 replicas, beside the embedded backend, in one run:
#   embedded  one `gatehouse serve` on its own home (SQLite and files)
#   pg1       one replica of three on one PostgreSQL database, all the load on it
#   pg2       the load spread over two of them
#   pg3       the load spread over all three
# Every home is a copy of one (`cp -a`: the same vault, agent key and secrets); the PostgreSQL
# homes were moved into the database with `gatehouse migrate --to postgres` and so share its
# state. The database is a throwaway cluster this script starts (Debian's initdb + pg_ctl, as
# the postgres user when root, on a loopback port) with fsync and synchronous_commit ON, as in
# production: every acknowledged commit is on disk.
#
# The load generator (src/test/java/dev/gatehouse/bench/LoadGenerator.java) signs each request
# for the replica it goes to and spreads a target's connections round robin over its replicas;
# it measures calls/s at saturation across them together, in interleaved rounds, and CPU per
# call: the /proc ticks of the serving daemons' JVMs and of the PostgreSQL server (postmaster,
# backends, background workers, reaped ones included) over the calls counted. Then, the
# daemons stopped, if this build has PgAuditLog: durable audit appends/s with 1, 2 and 3
# PgAuditLog replicas on the same cluster beside FileAuditLog, interleaved
# (src/test/java/dev/gatehouse/bench/PgAuditProbe.java), the same load spread over the
# replicas ("total") and the load growing with them ("each"); target/replicas-appends.txt.
#
#   bench/replicas.sh                                   # about 7 minutes; target/replicas-bench.json
#   BENCH_ROUNDS=5 BENCH_SATURATE_S=10 bench/replicas.sh
#   BENCH_PORT_BASE=18300 bench/replicas.sh             # ports BASE+1 .. BASE+10
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/target/gatehouse.jar"
cd "$root"

rounds="${BENCH_ROUNDS:-3}"
concurrency="${BENCH_CONCURRENCY:-32}"
warmup_s="${BENCH_WARMUP_S:-15}"
saturate_s="${BENCH_SATURATE_S:-8}"
probe_callers="${BENCH_PROBE_CALLERS:-8}"  # audit appenders: in all ("total") or per replica ("each")
probe_s="${BENCH_PROBE_S:-4}"
port_base="${BENCH_PORT_BASE:-18180}"
up_port=$((port_base + 1)) emb_port=$((port_base + 3)) pg_port=$((port_base + 10))
replica_ports=("$((port_base + 4))" "$((port_base + 5))" "$((port_base + 6))")

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 4; }

. bench/bench-home.sh
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  bench_install nginx
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
pg_bin_of() { # the newest /usr/lib/postgresql/VERSION/bin with initdb, pg_ctl and psql
  local b
  b="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$b" ] && [ -x "$b/initdb" ] && [ -x "$b/pg_ctl" ] && [ -x "$b/psql" ] && echo "$b"
}
pg_bin="$(pg_bin_of || true)"
if [ -z "$pg_bin" ]; then
  bench_install postgresql
  pg_bin="$(pg_bin_of)" || die "no PostgreSQL server under /usr/lib/postgresql/*/bin after installing postgresql"
fi

. .mvn/find-jdk.sh
jdk="$(gatehouse_find_jdk)"
[ -n "$jdk" ] || die "$GATEHOUSE_NO_JDK"

for p in "$up_port" "$emb_port" "${replica_ports[@]}" "$pg_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    die "port $p is in use; set BENCH_PORT_BASE to a free range"
  fi
done

# ---- build --------------------------------------------------------------------------------
say "building (package + test classes) ..."
./mvnw -q -B -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
cp="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"

# ---- temporary world ------------------------------------------------------------------------
work="$(mktemp -d /tmp/gatehouse-replicas-bench.XXXXXX)"
ngx="$work/nginx"
pgdir="$work/pg"            # the cluster: owned by the postgres user when root, 0700
pids=()
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  set +e
  [ -f "$ngx/upstream.pid" ] && kill "$(cat "$ngx/upstream.pid")" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -f "$pgdir/data/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$pgdir/data" stop -m immediate >/dev/null 2>&1
  sleep 0.3
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
chmod 755 "$work" # the postgres user and nginx's workers (www-data) reach their folders through it
mkdir -p "$ngx/logs" "$ngx/www"
chmod 755 "$ngx" "$ngx/www"
cat >"$ngx/www/data.json" <<'JSON'
{"status":"ok","version":"0.27.1","indexers":[{"id":"1337x","name":"1337x","type":"public","configured":true},{"id":"rarbg","name":"RARBG","type":"public","configured":false},{"id":"nyaa","name":"Nyaa","type":"public","configured":true}],"updated":"2026-11-29T12:00:00Z"}
JSON
chmod 644 "$ngx/www/data.json"
secret="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
sed -e "s#@PREFIX@#$ngx#g" -e "s#@PORT@#$up_port#g" bench/nginx/upstream.conf >"$ngx/upstream.conf"
"$nginx_bin" -p "$ngx" -c "$ngx/upstream.conf" -g "pid $ngx/upstream.pid;" || die "nginx (upstream) did not start"

# ---- PostgreSQL ---------------------------------------------------------------------------
# Local (socket) connections: peer, for this script's set-up as the cluster's owner; TCP: SCRAM,
# the way the daemons connect. fsync and synchronous_commit keep their defaults (on).
mkdir -m 700 "$pgdir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$pgdir"
as_pg "$pg_bin/initdb" -D "$pgdir/data" -E UTF8 --locale=C --auth-local=peer --auth-host=scram-sha-256 \
  >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; die "initdb failed"; }
as_pg mkdir -m 700 "$pgdir/sock"
as_pg "$pg_bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
  -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pgdir/sock -c max_connections=200" \
  start >/dev/null || { as_pg cat "$pgdir/server.log" >&2; die "PostgreSQL did not start"; }
psql_admin() { as_pg "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgdir/sock" -p "$pg_port" -d "${1:-postgres}" -At; }
pg_password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
# the password goes through stdin, never argv
printf "CREATE ROLE gatehouse LOGIN PASSWORD '%s';\nCREATE DATABASE gatehouse OWNER gatehouse;\n" "$pg_password" \
  | psql_admin >/dev/null
pg_settings="$(echo "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
  WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers',
                 'commit_delay', 'server_version')" | psql_admin)"
postmaster="$(as_pg head -1 "$pgdir/data/postmaster.pid")"
# The audit probe's role creates a database per set-up; the daemons' role cannot.
probe_password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf "CREATE ROLE probe LOGIN CREATEDB PASSWORD '%s';\n" "$probe_password" | psql_admin >/dev/null
say "PostgreSQL on 127.0.0.1:$pg_port ($pg_bin), durable as in production (a benchmark, not a test): $pg_settings"

# ---- homes ----------------------------------------------------------------------------------
gh_home=
gh() { "$jdk/bin/java" -jar "$jar" --home "$gh_home" "$@"; }
umask 077
printf 'bench-master-password-%s\n' "$secret" >"$work/password"
chmod 600 "$work/password"
gh_home="$work/embedded"
bench_home "$gh_home" "$secret"
# One home moved into the database, copied for each replica: the same vault (agent key, the
# upstream's secret, postgres.password) and the same config, each replica its own home folder.
cp -a "$work/embedded" "$work/pg-home"
gh_home="$work/pg-home"
printf '%s' "$pg_password" | gh vault add postgres.password --password-file "$work/password" >/dev/null
gh migrate --to postgres "postgresql://127.0.0.1:$pg_port/gatehouse" --password-file "$work/password" >&2
for i in 1 2 3; do cp -a "$work/pg-home" "$work/replica$i"; done

bench_serve "$work/embedded" "$emb_port" embedded
emb_pid="$gh_pid"
replica_pids=()
for i in 1 2 3; do
  bench_serve "$work/replica$i" "${replica_ports[$((i - 1))]}" "replica$i"
  replica_pids+=("$gh_pid")
done
say "serving: embedded on $emb_port (pid $emb_pid); replicas on ${replica_ports[*]} (pids ${replica_pids[*]}); PostgreSQL postmaster $postmaster"

url() { printf 'http://127.0.0.1:%s/v1/actions/bench.get' "$1"; }
args=(--target "embedded=$(url "$emb_port")" --pids "embedded=$emb_pid"
      --meta "cpu_of.embedded=its JVM")
for n in 1 2 3; do
  urls="" daemons=""
  for i in $(seq "$n"); do
    urls+="${urls:+|}$(url "${replica_ports[$((i - 1))]}")"
    daemons+="${daemons:+,}${replica_pids[$((i - 1))]}"
  done
  args+=(--target "pg$n=$urls" --pids "pg$n.daemons=$daemons" --pids "pg$n.postgres=$postmaster+"
         --meta "cpu_of.pg$n=the serving JVMs + every PostgreSQL server process")
done

say "machine: $(nproc) cores, $(uname -r); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
# Replicas 2 and 3 see only a share of pg2's and pg3's warm-up: warm their JIT up alone first.
say "warm-up of replicas 2 and 3 alone, ${warmup_s} s ..."
"$jdk/bin/java" -Xms512m -Xmx512m -XX:+UseParallelGC -cp "$cp" dev.gatehouse.bench.LoadGenerator \
  --key-file "$work/agent.key" --target "replicas23=$(url "${replica_ports[1]}")|$(url "${replica_ports[2]}")" \
  --only-saturate --rounds 1 --concurrency "$concurrency" --warmup-s "$warmup_s" --saturate-s 1 >/dev/null 2>&1 \
  || die "the warm-up of replicas 2 and 3 failed"
"$jdk/bin/java" -Xms512m -Xmx512m -XX:+UseParallelGC -cp "$cp" dev.gatehouse.bench.LoadGenerator \
  --key-file "$work/agent.key" "${args[@]}" --clk-tck "$(getconf CLK_TCK)" --only-saturate \
  --meta "postgres=$pg_settings" --meta "gatehouse_jar_sha256=$(sha256sum "$jar" | cut -c1-16)" \
  --meta "commit=$(git rev-parse --short HEAD)" \
  --rounds "$rounds" --concurrency "$concurrency" --warmup-s "$warmup_s" --saturate-s "$saturate_s" \
  --out target/replicas-bench.json
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- what was shared ------------------------------------------------------------------------
# Every call on a replica inserts one nonce: the database's work per call is its counters over that.
sleep 1 # the backends report their counters when idle, at most a second late
say "what the replicas shared: the database's tables; per call on a replica (over its agent_nonces inserts, warm-ups included):"
say "  table: rows now; inserts, updates, deletes, scans per call"
cat <<'SQL' | psql_admin gatehouse | sed 's/^/bench:   /' >&2
WITH calls AS (SELECT greatest(n_tup_ins, 1)::float8 AS n FROM pg_stat_user_tables WHERE relname = 'agent_nonces')
SELECT relname || ': ' || n_live_tup || '; ' || round((n_tup_ins / n)::numeric, 3) || ', '
       || round((n_tup_upd / n)::numeric, 3) || ', ' || round((n_tup_del / n)::numeric, 3) || ', '
       || round(((seq_scan + coalesce(idx_scan, 0)) / n)::numeric, 3)
FROM pg_stat_user_tables, calls ORDER BY relname;
WITH calls AS (SELECT greatest(n_tup_ins, 1)::float8 AS n FROM pg_stat_user_tables WHERE relname = 'agent_nonces')
SELECT 'calls on the replicas: ' || n::bigint || '; transactions per call: ' || round((xact_commit / n)::numeric, 2)
       || ' committed, ' || round((xact_rollback / n)::numeric, 2) || ' rolled back'
FROM pg_stat_database, calls WHERE datname = current_database();
SQL
for h in embedded replica1 replica2 replica3; do
  say "$h: audit lines in its home's audit/: $(cat "$work/$h"/audit/*.jsonl 2>/dev/null | wc -l)," \
    "vault file: $(find "$work/$h" -maxdepth 1 -name 'vault*' -printf '%f ' 2>/dev/null)"
done

# ---- appends/s ------------------------------------------------------------------------------
for p in "$emb_pid" "${replica_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
: >target/replicas-appends.txt
if [ -f target/classes/dev/gatehouse/audit/PgAuditLog.class ] \
   && [ -f target/test-classes/dev/gatehouse/bench/PgAuditProbe.class ]; then
  printf '%s' "$probe_password" >"$work/probe-password"
  for mode in each total; do
    say "audit appends/s: $probe_callers appenders ${mode/each/per replica}, ${probe_s} s per set-up, $rounds rounds," \
      "on this cluster (fsync on), the daemons stopped ..."
    "$jdk/bin/java" -cp "$cp" -Dprobe.pg.port="$pg_port" -Dprobe.pg.user=probe \
      -Dprobe.pg.password-file="$work/probe-password" dev.gatehouse.bench.PgAuditProbe \
      "$probe_callers" "$probe_s" "$rounds" "$mode" | sed 's/postgres x/postgres×/' | tee -a target/replicas-appends.txt >&2
  done
  # Medians over the rounds, per mode and set-up: appends/s, JVM and server CPU per append.
  median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
  echo
  echo "| appenders | set-up | appends/s | JVM CPU / append | server CPU / append |"
  echo "|---|---|---|---|---|"
  mode=
  while read -r line; do
    case "$line" in
      callers*"per replica"*) mode="$probe_callers per replica"; continue ;;
      callers*) mode="$probe_callers in all"; continue ;;
      round*) ;;
      *) continue ;;
    esac
    echo "$mode|$line"
  done <target/replicas-appends.txt >"$work/appends.rows"
  for m in "$probe_callers per replica" "$probe_callers in all"; do
    for setup in file postgres×1 postgres×2 postgres×3; do
      rows="$(grep -F "$m|" "$work/appends.rows" | cut -d"|" -f2 | awk -v s="$setup" '$3 == s')"
      [ -n "$rows" ] || continue
      printf '| %s | %s | %.0f | %.1f µs | %s |\n' "$m" "$setup" \
        "$(awk '{print $4}' <<<"$rows" | median)" "$(awk '{print $7}' <<<"$rows" | median)" \
        "$([ "$setup" = file ] && echo — || printf '%.1f µs' "$(awk '{print $10}' <<<"$rows" | median)")"
    done
  done
  say "load average after the appends: $(cut -d' ' -f1-3 /proc/loadavg)"
else
  say "audit appends/s: NOT MEASURED: this build has no PgAuditLog (dev.gatehouse.audit) and PgAuditProbe;" \
    "each replica appended to its own file log in its home (above)"
fi
