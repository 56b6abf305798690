#!/usr/bin/env bash
# Injection scanner throughput, two ways, each beside a reference measured in the same run:
#  1. JMH (ScanBench): the scanner over the whole corpus vs Jackson parsing the same lines.
#  2. The program: `gatehouse scan --lines` over the corpus repeated to N lines, vs `cat`
#     of the same file and vs the JVM start alone (`scan --lines` on empty input).
# Usage: bench/scan.sh [REPEAT (default 40)] ; figures: docs/injection.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
repeat="${1:-40}"
"$root/bench/jmh.sh" ScanBench -f 1 -wi 3 -i 5 -w 3s -r 3s
. .mvn/find-jdk.sh
jdk="$(gatehouse_find_jdk)"
./mvnw -q -B -o -DskipTests package
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
res=src/test/resources/dev/gatehouse/guard/injection
for _ in $(seq "$repeat"); do cat "$res"/attacks-*.jsonl "$res"/benign-*.jsonl; done > "$dir/lines.jsonl"
n=$(wc -l < "$dir/lines.jsonl"); bytes=$(wc -c < "$dir/lines.jsonl")
run() { local s e; s=$(date +%s%N); "$@" > /dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
for round in 1 2 3; do
  c=$(run cat "$dir/lines.jsonl")
  z=$(run "$jdk/bin/java" -jar target/gatehouse.jar scan --lines < /dev/null)
  g=$(run "$jdk/bin/java" -jar target/gatehouse.jar scan --lines < "$dir/lines.jsonl")
  echo "round $round: $n lines, $bytes bytes: cat ${c} ms; JVM start (empty input) ${z} ms; scan --lines ${g} ms;" \
    "net $(( g - z )) ms = $(( n * 1000 / (g - z > 0 ? g - z : 1) )) lines/s"
done
