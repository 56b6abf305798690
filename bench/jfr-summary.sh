#!/usr/bin/env bash
# Summarizes a JFR recording of the daemon: bench/jfr-summary.sh FILE.jfr
#  - CPU samples (jdk.ExecutionSample) by top frame (self time)
#  - CPU samples by the innermost dev.gatehouse frame (which Gatehouse code the time is spent under)
#  - CPU samples by Gatehouse layer (inclusive: a sample counts for each layer on its stack)
#  - jdk.ThreadPark / jdk.JavaMonitorEnter (>= the recording's threshold) by the innermost dev.gatehouse frame
#  - jdk.FileForce (fsync) count and time, jdk.FileWrite count
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/.mvn/find-jdk.sh"
jdk="$(gatehouse_find_jdk)"
f="${1:?usage: bench/jfr-summary.sh FILE.jfr}"
jfr="$jdk/bin/jfr"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$jfr" print --stack-depth 96 --events jdk.ExecutionSample "$f" >"$tmp/samples.txt"
"$jfr" print --stack-depth 96 --events jdk.ThreadPark "$f" >"$tmp/park.txt"
"$jfr" print --stack-depth 96 --events jdk.JavaMonitorEnter "$f" >"$tmp/monitor.txt"
"$jfr" print --events jdk.FileForce "$f" >"$tmp/force.txt"
"$jfr" print --events jdk.FileWrite "$f" >"$tmp/write.txt"

# One line per event: top frame TAB innermost dev.gatehouse frame TAB all frames joined by |
flatten() {
  awk '
    /^jdk\./ { inev = 1; n = 0; dur = ""; next }
    inev && /^  duration = / { dur = $3 " " $4 }
    inev && /stackTrace = \[/ { st = 1; next }
    st && /^  \]/ { st = 0; next }
    st {
      line = $0; sub(/^ +/, "", line); sub(/ +line:.*$/, "", line); sub(/\(.*$/, "", line)
      if (line == "...") next
      frames[n++] = line
      next
    }
    inev && /^}/ {
      top = (n > 0 ? frames[0] : "?"); gh = "-"; all = ""
      for (i = 0; i < n; i++) { if (gh == "-" && frames[i] ~ /^dev\.gatehouse\./) gh = frames[i]; all = all "|" frames[i] }
      print top "\t" gh "\t" dur "\t" all
      inev = 0
    }' "$1"
}
flatten "$tmp/samples.txt" >"$tmp/s.tsv"
flatten "$tmp/park.txt" >"$tmp/p.tsv"
flatten "$tmp/monitor.txt" >"$tmp/m.tsv"
total=$(wc -l <"$tmp/s.tsv")

top() { # column, file, total, n
  cut -f"$1" "$2" | sort | uniq -c | sort -rn | head -n "$4" \
    | awk -v t="$3" '{ c = $1; $1 = ""; printf "%6d %5.1f%%  %s\n", c, 100 * c / t, substr($0, 2) }'
}

echo "== CPU samples: $total (jdk.ExecutionSample)"
echo
echo "-- by top frame (self)"
top 1 "$tmp/s.tsv" "$total" 30
echo
echo "-- by innermost dev.gatehouse frame ('-' = no Gatehouse frame: server, client, GC-free JDK threads)"
top 2 "$tmp/s.tsv" "$total" 30
echo
echo "-- inclusive, by what is on the stack (a sample counts for every line that matches)"
layer() { # label, regex
  local c
  c=$(cut -f4 "$tmp/s.tsv" | grep -cE "$2" || true)
  awk -v c="$c" -v t="$total" -v l="$1" 'BEGIN { printf "%6d %5.1f%%  %s\n", c, 100 * c / t, l }'
}
layer "Broker.handle (everything the broker decides and does)" '\|dev\.gatehouse\.broker\.Broker\.handle'
layer "  Broker.authenticate" '\|dev\.gatehouse\.broker\.Broker\.authenticate'
layer "    AgentRegistry.find (vault re-read per request)" '\|dev\.gatehouse\.broker\.AgentRegistry\.find'
layer "    MessageSignatures.verify" '\|dev\.gatehouse\.identity\.MessageSignatures\.verify'
layer "    MessageSignatures.parse" '\|dev\.gatehouse\.identity\.MessageSignatures\.parse'
layer "    NonceStore.firstUse (SQLite)" '\|dev\.gatehouse\.broker\.NonceStore\.firstUse'
layer "    NonceStore.touch (SQLite)" '\|dev\.gatehouse\.broker\.NonceStore\.touch'
layer "  Vault.reveal (all callers)" '\|dev\.gatehouse\.vault\.Vault\.reveal'
layer "  AuditLog.record (all callers)" '\|dev\.gatehouse\.audit\.FileAuditLog\.record'
layer "  GuardedUpstream.send (Helidon WebClient)" '\|dev\.gatehouse\.http\.GuardedUpstream\.send'
layer "  Scrubber" '\|dev\.gatehouse\.broker\.Scrubber\.'
layer "Daemon.call logging (Logback)" '\|ch\.qos\.logback\.'
layer "javax.crypto.Mac.getInstance" '\|javax\.crypto\.Mac\.getInstance'
layer "MessageDigest.getInstance" '\|java\.security\.MessageDigest\.getInstance'
layer "SQLite JDBC (org.sqlite)" '\|org\.sqlite\.'
layer "Jackson (com.fasterxml)" '\|com\.fasterxml\.'
layer "Helidon webserver (io.helidon.webserver)" '\|io\.helidon\.webserver\.'
layer "Helidon webclient (io.helidon.webclient)" '\|io\.helidon\.webclient\.'
echo
echo "== jdk.ThreadPark >= threshold: $(wc -l <"$tmp/p.tsv") events; by innermost dev.gatehouse frame, count and summed duration"
awk -F'\t' '{ split($3, d, " "); v = d[1]; u = d[2]; ms = (u == "s" ? v * 1000 : (u == "ms" ? v : (u == "us" ? v / 1000 : v))); c[$2]++; s[$2] += ms }
  END { for (k in c) printf "%6d %10.0f ms  %s\n", c[k], s[k], k }' "$tmp/p.tsv" | sort -k2 -rn | head -15
echo
echo "== jdk.JavaMonitorEnter >= threshold: $(wc -l <"$tmp/m.tsv") events; by innermost dev.gatehouse frame"
cut -f2 "$tmp/m.tsv" | sort | uniq -c | sort -rn | head -10
echo
echo "== jdk.FileForce (fsync/fdatasync): $(grep -c '^jdk.FileForce' "$tmp/force.txt" || true) events; by path"
grep -E '^  path = ' "$tmp/force.txt" | sed 's/.*\///; s/"//g; s/[0-9]\{6,\}/N/g' | sort | uniq -c | sort -rn | head -5
echo "== jdk.FileWrite: $(grep -c '^jdk.FileWrite' "$tmp/write.txt" || true) events; by path"
grep -E '^  path = ' "$tmp/write.txt" | sed 's/.*\///; s/"//g; s/[0-9]\{6,\}/N/g' | sort | uniq -c | sort -rn | head -8
echo
echo "== jfr view hot-methods"
"$jfr" view --width 160 hot-methods "$f" 2>/dev/null | head -30 || true
echo
echo "== jfr view contention-by-site"
"$jfr" view --width 160 contention-by-site "$f" 2>/dev/null | head -20 || true
