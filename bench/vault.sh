#!/usr/bin/env bash
# Vault benchmark (JMH): Argon2id unlock at the default parameters beside Debian's argon2
# reference CLI, and entry read throughput. Figures: see bench/README.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. .mvn/find-jdk.sh
jdk="$(gatehouse_find_jdk)"
[ -n "$jdk" ] || { echo "bench: $GATEHOUSE_NO_JDK" >&2; exit 4; }
if ! command -v argon2 >/dev/null; then
  apt-get install -y -qq argon2 || { echo "bench: Debian's argon2 is needed (apt-get install argon2)" >&2; exit 4; }
fi
./mvnw -q -B -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
cp="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
# Single-shot modes: 3 warm-up shots then 15 measured, in one fork; throughput: 3 x 5 s.
exec "$jdk/bin/java" -cp "$cp" org.openjdk.jmh.Main 'dev.gatehouse.bench.VaultBench' \
  -f 1 -wi 3 -i 15 -w 5s -r 5s -rf json -rff target/vault-bench.json "$@"
