# The JVM options of one gatehouse command, and the start cache kept beside the jar (bash;
# sourced by ./gatehouse and packaging/gatehouse-launcher.sh, after find-jdk.sh).
#
#   gatehouse_jvm_options JDK JAR ARGS...    sets the array GATEHOUSE_JVM_OPTS
#
# `serve` (the daemon) runs as it always has: both JIT compilers, the default GC, no cache.
# Every other command is short-lived, and a JVM start is most of what it costs: C1 only, the
# Serial GC, no perf-data file, and a class cache made by a training run of this jar on this
# JDK (JDK 25+: an AOT cache, JEP 483/514/515; JDK 21-24: a dynamic CDS archive), named after
# the JDK's build and the identity of the jar and of its lib/ folder (modification time, size,
# inode): JAR's folder/gatehouse-<java runtime version>-<jar id>-<lib id>.aot (or .jsa).
#
# Guarantees:
# - A cache is only ever used with the jar it was made from: its name says which. The JVM
#   cannot be relied on for that: JDK 25 loaded the classes of a cache made from another jar,
#   of another size, in another folder, without a word. (A library rewritten in place, its
#   name and its folder's time unchanged, while the jar is not rebuilt, goes unseen.)
# - The cache never changes what a command prints or returns: the JVM's cache messages are
#   off, and a corrupt cache, or one for another JVM, is a normal start (-Xshare:auto, the
#   default).
# - A cache is used only when it belongs to the jar's owner and nobody else may write it:
#   what it holds is code, trusted as much as the jar.
# - A missing cache is built by the jar's owner (who may write its folder) only, in the
#   background: the command never waits for it and never fails by it. One builder at a time
#   (flock); written under a temporary name, made read-only for others, then renamed, so that
#   a reader sees a whole cache or none; kept only when the jar did not change meanwhile. The
#   caches of other jars and JDKs are removed then. A build that failed is not tried again
#   until the jar changes (the .failed stamp).

gatehouse_jvm_options() {
  local jdk="$1" jar="$2"
  shift 2
  GATEHOUSE_JVM_OPTS=()
  if [ "$(gatehouse_subcommand "$@")" = serve ]; then
    return 0
  fi
  gatehouse_short_run_options "$jdk"
  local cache
  cache="$(gatehouse_start_cache "$jdk" "$jar")"
  [ -n "$cache" ] || return 0
  if [ -f "$cache" ]; then
    if gatehouse_cache_trusted "$cache" "$jar"; then
      case "$cache" in
        *.aot) GATEHOUSE_JVM_OPTS+=("-XX:AOTCache=$cache") ;;
        *) GATEHOUSE_JVM_OPTS+=("-XX:SharedArchiveFile=$cache") ;;
      esac
    fi
  elif gatehouse_may_build_cache "$jar" "$cache"; then
    gatehouse_build_cache "$jdk" "$jar" "$cache" </dev/null >/dev/null 2>&1 &
  fi
}

# Sets GATEHOUSE_JVM_OPTS to the options of a short run on JDK: also those of its training.
gatehouse_short_run_options() {
  GATEHOUSE_JVM_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData)
  local major
  major="$(gatehouse_java_major "$1")"
  if [ "$major" -ge 25 ] 2>/dev/null; then
    GATEHOUSE_JVM_OPTS+=('-Xlog:aot*=off' '-Xlog:cds*=off')
  elif [ "$major" -ge 21 ] 2>/dev/null; then
    GATEHOUSE_JVM_OPTS+=('-Xlog:cds*=off')
  fi
}

# The start cache of JAR, as it is now, on JDK (whether it exists or not), or nothing for a
# JDK without one.
gatehouse_start_cache() {
  local major version kind id
  major="$(gatehouse_java_major "$1")"
  if [ "$major" -ge 25 ] 2>/dev/null; then
    kind=aot
  elif [ "$major" -ge 21 ] 2>/dev/null; then
    kind=jsa
  else
    return 0
  fi
  version="$(gatehouse_java_runtime_version "$1")"
  [ -n "$version" ] || return 0
  id="$(stat -L -c '%.9Y-%s-%i' -- "$2" "${2%/*}/lib" 2>/dev/null)" || return 0
  id="${id//$'\n'/-}"
  echo "${2%/*}/gatehouse-${version//[^A-Za-z0-9._-]/_}-$id.$kind"
}

# True when this user should build CACHE for JAR: they own the jar, may write its folder, and
# no build of this cache has failed.
gatehouse_may_build_cache() {
  [ -O "$1" ] && [ -w "${1%/*}" ] && [ ! -e "$2.failed" ]
}

# The subcommand ARGS name: the first argument that is not a root option (--home and
# --password-file take a value), or nothing.
gatehouse_subcommand() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --home|--password-file) shift 2 || return 0 ;;
      -*) shift ;;
      *) echo "$1"; return 0 ;;
    esac
  done
}

# The JDK's JAVA_RUNTIME_VERSION (its exact build), read from its release file.
gatehouse_java_runtime_version() {
  local line
  [ -r "$1/release" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      JAVA_RUNTIME_VERSION=\"*) line="${line#JAVA_RUNTIME_VERSION=\"}"; echo "${line%%\"*}"; return 0 ;;
    esac
  done <"$1/release"
}

# True when CACHE has JAR's owner and neither its group nor others may write it.
gatehouse_cache_trusted() {
  local s
  s="$(stat -L -c '%u %a' -- "$1" "$2" 2>/dev/null)" || return 1
  local cache_owner cache_mode jar_owner
  { read -r cache_owner cache_mode; read -r jar_owner _; } <<<"$s"
  [ "$cache_owner" = "$jar_owner" ] && [ $((8#$cache_mode & 8#022)) = 0 ]
}

# Builds CACHE (from gatehouse_start_cache) for JAR on JDK from a training run that needs no
# daemon: an agent's call, signed with a throwaway key, to a closed port of this machine (what
# an agent runs most, up to the connection). Returns 0 when CACHE is fresh afterwards. The
# caller sends its output to /dev/null.
gatehouse_build_cache() {
  local jdk="$1" jar="$2" cache="$3" kind="${3##*.}"
  local GATEHOUSE_JVM_OPTS
  gatehouse_short_run_options "$jdk"
  exec 8>>"$cache.lock" || return 1
  if command -v flock >/dev/null 2>&1; then
    flock -n 8 || return 1 # another build is under way
  fi
  [ -f "$cache" ] && return 0
  rm -f "$cache".*.tmp "$cache".*.tmp.config # left by a build that was killed
  local train tmp="$cache.$BASHPID.tmp" ok=0
  train="$(mktemp -d)" || return 1
  (umask 077 && printf '{"keyid": "start-training", "key": "%s", "url": "http://127.0.0.1:1"}\n' \
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" >"$train/agent.key")
  local record
  if [ "$kind" = aot ]; then
    record=("-XX:AOTCacheOutput=$tmp")
  else
    record=("-XX:ArchiveClassesAtExit=$tmp")
  fi
  local n=()
  command -v nice >/dev/null 2>&1 && n=(nice -n 10)
  (cd "$train" && env -u GATEHOUSE_URL -u GATEHOUSE_HOME -u GATEHOUSE_AGENT_KEY_FILE HOME="$train" \
    "${n[@]}" "$jdk/bin/java" "${GATEHOUSE_JVM_OPTS[@]}" "${record[@]}" -jar "$jar" \
    call --key-file "$train/agent.key" -a start.training --data '{"q":"training"}') || true
  rm -rf "$train"
  # A jar replaced during the training would leave a cache made partly from another jar.
  if [ -s "$tmp" ] && [ "$(gatehouse_start_cache "$jdk" "$jar")" = "$cache" ] && chmod 644 "$tmp" \
      && mv -f "$tmp" "$cache"; then
    ok=1
    rm -f "$cache.failed"
    local other # the caches of other jars and JDKs, with their stamps and locks
    for other in "${cache%/*}"/gatehouse-*.aot* "${cache%/*}"/gatehouse-*.jsa*; do
      case "$other" in "$cache"*) ;; *) rm -f "$other" ;; esac
    done
  fi
  rm -f "$tmp" "$tmp.config"
  exec 8>&-
  [ "$ok" = 1 ] || { : >"$cache.failed"; return 1; }
}
