#!/usr/bin/env bash
# Runs one JMH benchmark class from src/test/java/dev/gatehouse/bench with the JDK the build
# uses: bench/jmh.sh VaultBench|AuditBench [JMH options]. Results: target/<class>.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. .mvn/find-jdk.sh
jdk="$(gatehouse_find_jdk)"
[ -n "$jdk" ] || { echo "bench: $GATEHOUSE_NO_JDK" >&2; exit 4; }
name="${1:?usage: bench/jmh.sh BENCHMARK-CLASS [JMH options]}"
shift
./mvnw -q -B -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
cp="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
exec "$jdk/bin/java" -cp "$cp" org.openjdk.jmh.Main "dev.gatehouse.bench.$name" \
  -rf json -rff "target/$name.json" "$@"
