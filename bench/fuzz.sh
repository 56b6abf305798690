#!/usr/bin/env bash
# Fuzzes every @FuzzTest of src/test/java with Jazzer, one target after the other:
#   bench/fuzz.sh [SECONDS-PER-TARGET] [FILTER] [EXECUTIONS-PER-TARGET]
# SECONDS defaults to 180; FILTER (a grep -E pattern on "Class#method") picks targets;
# EXECUTIONS (default: no limit) ends a target early once it has run that many inputs, so a
# run aimed at a count reaches it even on a busy machine (give SECONDS as the upper bound).
# Without JAZZER_FUZZ the same targets run their kept corpus as plain tests in ./mvnw verify.
#
# Per target: the log in target/fuzz/<Class>#<method>.log, the growing corpus in
# .cifuzz-corpus/<package>.<Class>/<method>/ (kept between runs, so a second run goes on from
# the first), and a finding as crash-<sha1> in
# src/test/resources/<package>/<Class>Inputs/<method>/, where it becomes a regression case:
# rename it to say what it is, fix the parser, commit both. At the end, one Markdown table
# row per target (target, executions, exec/s, seconds, findings), as in docs/development.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${1:-180}"
filter="${2:-.}"
executions="${3:-0}"
[[ "$seconds" =~ ^[0-9]+$ && "$executions" =~ ^[0-9]+$ ]] || {
  echo "usage: bench/fuzz.sh [SECONDS-PER-TARGET] [FILTER] [EXECUTIONS-PER-TARGET]" >&2; exit 2; }

./mvnw -q -B -DskipTests test-compile
mkdir -p target/fuzz

# Class#method for every method annotated @FuzzTest.
targets=()
while IFS= read -r file; do
  class="$(basename "$file" .java)"
  while IFS= read -r method; do
    targets+=("$class#$method")
  done < <(awk '/@FuzzTest/ {want = 1} want && /void [A-Za-z0-9_]+\(/ {
      match($0, /void [A-Za-z0-9_]+\(/); print substr($0, RSTART + 5, RLENGTH - 6); want = 0 }' "$file")
done < <(grep -rl '@FuzzTest' src/test/java | sort)

# Each target's @Timeout is the per-input hang limit: Jazzer hands it to libFuzzer (-timeout), and
# JUnit's own timeout, which would end the whole fuzzing run, is switched off.
# Coverage feedback from the YAML and JSON readers as well as Gatehouse's own code: the
# parsers under test are thin layers over them, and their exceptions are what must not leak.
includes='dev.gatehouse.**:com.fasterxml.jackson.**:org.yaml.snakeyaml.**'

rows=()
for target in "${targets[@]}"; do
  grep -qE -- "$filter" <<<"$target" || continue
  log="target/fuzz/$target.log"
  inputs="$(find src/test/resources -type d -path "*/${target%%#*}Inputs/${target##*#}" | head -n 1)"
  before="$(find "$inputs" -name 'crash-*' 2>/dev/null | wc -l)"
  echo "fuzz: $target for ${seconds}s (log: $log)" >&2
  status=0
  JAZZER_FUZZ=1 nice -n 10 ./mvnw -B -o test -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false \
    -Djazzer.max_duration="${seconds}s" -Djazzer.max_executions="$executions" -Djazzer.instrumentation_includes="$includes" \
    -Djunit.jupiter.execution.timeout.mode=disabled -DargLine="-Xmx1g" >"$log" 2>&1 || status=$?
  after="$(find "$inputs" -name 'crash-*' 2>/dev/null | wc -l)"
  # libFuzzer's last status line: "#N  DONE ..." or, on a finding, the last "#N ... exec/s: E".
  done_line="$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)"
  if [ -n "$done_line" ]; then
    runs="$(awk '{print $2}' <<<"$done_line")"
    secs="$(awk '{print $5}' <<<"$done_line")"
  else
    runs="$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)"
    secs="?"
  fi
  runs="${runs:-0}"
  if [[ "$secs" =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ]; then rate=$((runs / secs)); else rate="?"; fi
  findings=$((after - before))
  if [ "$status" -ne 0 ] && [ "$findings" -eq 0 ]; then
    findings="failed (exit $status, see $log)"
  fi
  rows+=("| \`$target\` | $runs | $rate | ${secs}s | $findings |")
done

echo
echo "| target | executions | exec/s | time | findings |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
