#!/usr/bin/env bash
# README.md's "Let the assistant ask for root", tried as a new user would: a real agent user,
# a real sudoers rule printed by `totp setup --print-sudoers` and checked by visudo, codes
# from Debian's oathtool. The home is a root-owned temporary folder instead of
# /root/.gatehouse so the machine's own is untouched. Needs root (CI runs as root); exits 77
# when it cannot run, saying why.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "SKIPPED: this test needs root (sudo, useradd, /etc/sudoers.d)"; exit 77; }
for pkg in sudo:sudo oathtool:oathtool; do
  command -v "${pkg%%:*}" >/dev/null || apt-get install -y -qq "${pkg#*:}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${pkg#*:}" >/dev/null 2>&1; } \
    || { echo "SKIPPED: cannot install ${pkg#*:}"; exit 77; }
done
agent=gh-agent-it
id "$agent" >/dev/null 2>&1 || useradd -m "$agent"
work="$(mktemp -d)"
chmod 711 "$work"
H="$work/root-gatehouse"
sudoers=/etc/sudoers.d/gatehouse-it-$$
trap 'rm -f "$sudoers"; rm -rf "$work"' EXIT
gh() { "$repo/gatehouse" --home "$H" "$@"; }

# Codes: Gatehouse accepts each 30 s step once and never a step older than the last one
# accepted, so each code comes from a later step than the one before (waiting for the next
# step when the window is used up, as a person would). next_code sets $code.
last=0
next_code() {
  local now step tries
  for tries in $(seq 1 40); do
    now=$(date +%s)
    for step in $((now / 30)) $((now / 30 + 1)); do
      if [ "$step" -gt "$last" ]; then
        last=$step
        code="$(oathtool --totp -b -N "@$((step * 30))" "$key")"
        return
      fi
    done
    sleep 1
  done
  echo "no usable step" >&2
  return 1
}

gh init --sealed >/dev/null
setup="$(gh totp setup --account root@it)"
key="$(grep -oP 'Key: +\K[A-Z2-7 ]+' <<<"$setup" | tr -d ' ')"
next_code
gh totp setup --confirm "$code" >/dev/null
cat > "$H/exec.yaml" <<'YAML'
allow:
  - { program: /bin/echo, args: ["**"] }
deny:
  - { program: /bin/echo, args: [forbidden] }
YAML
chmod 600 "$H/exec.yaml"
line="$(gh totp setup --print-sudoers "$agent" | grep "^$agent ")"
echo "sudoers: $line"
printf '%s\n' "$line" > "$sudoers"
chmod 440 "$sudoers"
visudo -cf "$sudoers" >/dev/null
cmd="$(sed -E 's/^.*NOPASSWD: (.*) --home .*$/\1/' <<<"$line")"
as_agent() { runuser -u "$agent" -- sudo -n $cmd --home "$H" "$@"; }

# A code handed over directly runs that one command, as root.
next_code
out="$(printf '%s\n' "$code" | as_agent exec --code - -- /bin/echo direct '$(id)')"
[ "$out" = 'direct $(id)' ] || { echo "direct run printed: $out" >&2; exit 1; }
# The sudoers rule allows nothing else.
if runuser -u "$agent" -- sudo -n /bin/id >/dev/null 2>&1; then echo "sudo allowed more than exec" >&2; exit 1; fi
# A command the policy refuses is refused before any code.
if as_agent exec --code 000000 -- /bin/echo forbidden >/dev/null 2>&1; then echo "deny rule ignored" >&2; exit 1; fi
# The bound approval: the agent asks, the owner approves that argv, the agent runs it once.
req="$(as_agent exec --request -- /bin/echo approved run)"
id="$(grep -oP 'Request \K[a-z0-9]{10}' <<<"$req")"
grep -q "by sudo:$agent" <<<"$req"
next_code
printf '%s\n' "$code" | gh exec --approve "$id" --code - >/dev/null
out="$(as_agent exec --run "$id")"
[ "$out" = "approved run" ] || { echo "approved run printed: $out" >&2; exit 1; }
if as_agent exec --run "$id" >/dev/null 2>&1; then echo "an approval ran twice" >&2; exit 1; fi
# Options after `exec` cannot move root to another home.
if as_agent exec --home /tmp --run "$id" >/dev/null 2>&1; then echo "--home after exec accepted" >&2; exit 1; fi
gh audit verify
echo "README root flow: OK"
