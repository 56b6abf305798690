#!/usr/bin/env bash
# Audit benchmark (JMH): durable appends with 1, 8 and 64 appenders, `audit verify`, and an
# inclusion proof at 1,000,000 entries, each beside a raw baseline in the same run, on the
# disk under target/ (not a tmpfs). Figures: see bench/README.md.
set -euo pipefail
exec "$(dirname "$0")/jmh.sh" AuditBench -f 1 -wi 2 -i 5 -w 5s -r 5s "$@"
