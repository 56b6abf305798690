# Finds a JDK >= 21 for ./gatehouse and ./mvnw (POSIX sh; sourced, not run).
# Looks at JAVA_HOME, the java on PATH, then the usual install folders.

GATEHOUSE_MIN_JDK=21
GATEHOUSE_NO_JDK="needs a JDK $GATEHOUSE_MIN_JDK or newer and found none (JAVA_HOME, PATH, /usr/lib/jvm, ...); install one, e.g. 'apt-get install openjdk-21-jdk-headless'"

# Prints the major version of the Java installation at $1, or nothing.
gatehouse_java_major() {
  [ -x "$1/bin/java" ] || return 0
  _v=""
  if [ -r "$1/release" ]; then
    # Read without a subprocess: the launcher runs this before every command.
    while IFS= read -r _line || [ -n "$_line" ]; do
      case $_line in
        JAVA_VERSION=\"*) _v=${_line#JAVA_VERSION=\"}; _v=${_v%%\"*}; break ;;
      esac
    done <"$1/release"
  fi
  if [ -z "$_v" ]; then
    _v=$("$1/bin/java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
  fi
  _v=${_v#1.}
  echo "${_v%%[.+-]*}"
}

# Prints the home of the first JDK (with javac) of version >= 21, or nothing.
gatehouse_find_jdk() {
  case $- in *f*) _noglob=1 ;; *) _noglob=0 ;; esac
  set +f # the caller may have turned globbing off (mvnw runs with set -f)
  _found=$(gatehouse_scan_jdks)
  [ "$_noglob" = 1 ] && set -f
  [ -n "$_found" ] && echo "$_found"
  return 0
}

gatehouse_scan_jdks() {
  _onpath=""
  if command -v java >/dev/null 2>&1; then
    _onpath=$(readlink -f "$(command -v java)")
    _onpath=${_onpath%/*}
    _onpath=${_onpath%/*}
  fi
  for _c in "${JAVA_HOME:-}" "$_onpath" /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* \
      "${HOME:-/nonexistent}"/.sdkman/candidates/java/* "${HOME:-/nonexistent}"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -n "$_c" ] && [ -d "$_c" ] && [ -x "$_c/bin/javac" ] || continue
    _m=$(gatehouse_java_major "$_c")
    if [ -n "$_m" ] && [ "$_m" -ge "$GATEHOUSE_MIN_JDK" ] 2>/dev/null; then
      echo "$_c"
      return 0
    fi
  done
}
