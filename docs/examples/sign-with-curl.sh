#!/usr/bin/env bash
# Signs a Gatehouse action call (RFC 9421 hmac-sha256 + RFC 9530 Content-Digest) with openssl
# and sends it with curl. See docs/signing.md for the protocol this implements.
#
# Usage: sign-with-curl.sh [--print-headers | --print-curl] KEY_FILE SERVICE.ACTION 'JSON_BODY'
#   KEY_FILE       {"keyid": "...", "key": "<base64 of 32 bytes>", "url": "http://127.0.0.1:19999"}
#   --print-headers  print the four request headers instead of calling curl
#   --print-curl     print the curl command instead of running it
# Environment (tests only): GATEHOUSE_CREATED (unix seconds), GATEHOUSE_NONCE fix the parameters.
# Needs: bash, openssl, jq, curl, od, tr.
#
# Note: openssl takes the key on its command line (-macopt hexkey:...), so other local users
# can see it in the process list while it runs. Use a real client library on shared machines.
set -euo pipefail

mode=run
case "${1:-}" in
  --print-headers) mode=headers; shift ;;
  --print-curl) mode=curl; shift ;;
esac
if [ "$#" -ne 3 ]; then
  echo "usage: $0 [--print-headers|--print-curl] KEY_FILE SERVICE.ACTION 'JSON_BODY'" >&2
  exit 2
fi
key_file=$1 action=$2 body=$3

keyid=$(jq -er '.keyid' "$key_file")
key_b64=$(jq -er '.key' "$key_file")
url=$(jq -er '.url' "$key_file")
url=${url%/}

# keyid and nonce go into structured-field strings unescaped: keep them to safe characters.
safe='^[A-Za-z0-9._:~-]+$'
[[ $keyid =~ $safe ]] || { echo "keyid must match $safe" >&2; exit 2; }
[[ $action =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+$ ]] || { echo "action must be service.action" >&2; exit 2; }

key_hex=$(printf '%s' "$key_b64" | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \n')
[ "${#key_hex}" -eq 64 ] || { echo "key must be base64 of 32 bytes" >&2; exit 2; }

created=${GATEHOUSE_CREATED:-$(date +%s)}
nonce=${GATEHOUSE_NONCE:-$(openssl rand -base64 18 | tr '+/' '-_')}
[[ $created =~ ^[0-9]{1,15}$ ]] || { echo "created must be unix seconds" >&2; exit 2; }
[[ $nonce =~ $safe ]] || { echo "nonce must match $safe" >&2; exit 2; }

# @authority: host[:port] lower-cased, without the scheme's default port. @path as sent; no query.
scheme=${url%%://*}
authority=${url#*://}
authority=${authority%%/*}
authority=$(printf '%s' "$authority" | tr 'A-Z' 'a-z')
case "$scheme:$authority" in
  http:*:80) authority=${authority%:80} ;;
  https:*:443) authority=${authority%:443} ;;
esac
path="/v1/actions/$action"

# The body is sent exactly as these bytes (no trailing newline).
content_digest="sha-256=:$(printf '%s' "$body" | openssl dgst -sha256 -binary | openssl base64 -A):"

params="(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\");created=$created;nonce=\"$nonce\";keyid=\"$keyid\";alg=\"hmac-sha256\""

# The signature base: one line per component, "\n" between lines, no trailing newline.
signature=$(printf '"@method": %s\n"@authority": %s\n"@path": %s\n"@query": %s\n"content-digest": %s\n"@signature-params": %s' \
    POST "$authority" "$path" "?" "$content_digest" "$params" \
  | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key_hex" -binary | openssl base64 -A)

headers=(
  "Content-Type: application/json"
  "Content-Digest: $content_digest"
  "Signature-Input: sig1=$params"
  "Signature: sig1=:$signature:"
)

case $mode in
  headers)
    printf '%s\n' "${headers[@]}"
    ;;
  curl)
    printf 'curl -sS -X POST'
    for h in "${headers[@]}"; do printf ' -H %q' "$h"; done
    printf ' --data-binary %q %q\n' "$body" "$url$path"
    ;;
  run)
    args=()
    for h in "${headers[@]}"; do args+=(-H "$h"); done
    exec curl -sS -X POST "${args[@]}" --data-binary "$body" "$url$path"
    ;;
esac
