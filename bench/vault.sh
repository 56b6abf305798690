#!/usr/bin/env bash
# Vault benchmark (JMH): Argon2id unlock at the default parameters beside Debian's argon2
# reference CLI, and entry read throughput. Figures: see bench/README.md.
set -euo pipefail
if ! command -v argon2 >/dev/null; then
  apt-get install -y -qq argon2 || { echo "bench: Debian's argon2 is needed (apt-get install argon2)" >&2; exit 4; }
fi
# Single-shot modes: 3 warm-up shots then 15 measured, in one fork; throughput: 3 x 5 s.
exec "$(dirname "$0")/jmh.sh" VaultBench -f 1 -wi 3 -i 15 -w 5s -r 5s "$@"
