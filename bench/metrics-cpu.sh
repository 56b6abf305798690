#!/usr/bin/env bash
# What /metrics costs a broker call, in process CPU time (robust to other load on the machine):
# bench/metrics-cpu.sh [CALLS-PER-ROUND] [ROUNDS]. See MetricsBench.main and bench/README.md.
# The homes go to /dev/shm when it exists (no fsync wait: the audit's CPU is still counted).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. .mvn/find-jdk.sh
jdk="$(gatehouse_find_jdk)"
[ -n "$jdk" ] || { echo "bench: $GATEHOUSE_NO_JDK" >&2; exit 4; }
./mvnw -q -B -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
dir=target/bench
[ -d /dev/shm ] && dir="$(mktemp -d /dev/shm/gatehouse-metrics-bench.XXXXXX)"
trap 'case "$dir" in /dev/shm/*) rm -rf "$dir";; esac' EXIT
cp="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
"$jdk/bin/java" -Dbench.dir="$dir" -cp "$cp" dev.gatehouse.bench.MetricsBench "$@"
