#!/usr/bin/env bash
# The installed gatehouse command (packaging/install.sh puts it at /opt/gatehouse/bin/gatehouse).
# Runs the installed jar on a JDK >= 21 found as the checkout's ./gatehouse finds one
# (JAVA_HOME, the java on PATH, /usr/lib/jvm, ...). Unlike ./gatehouse it never builds:
# an install holds a built jar, and the service user can write nothing here. The start cache
# beside the jar (share/jvm-start.sh) is made by install.sh, and remade by root only.
set -euo pipefail

bin="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
opt="$(dirname "$bin")"
jar="$opt/gatehouse.jar" # its libraries are in $opt/lib, where its manifest's Class-Path says

# shellcheck disable=SC1091 # .mvn/find-jdk.sh, which install.sh puts there
. "$opt/share/find-jdk.sh"
# shellcheck disable=SC1091 # .mvn/jvm-start.sh, which install.sh puts there
. "$opt/share/jvm-start.sh"

jdk="$(gatehouse_find_jdk)"
if [ -z "$jdk" ]; then
  echo "gatehouse: $GATEHOUSE_NO_JDK" >&2
  exit 4
fi
if [ ! -r "$jar" ]; then
  echo "gatehouse: $jar is missing; reinstall with packaging/install.sh" >&2
  exit 4
fi

# `gatehouse exec --print-sudoers` names this file, not java -jar.
export GATEHOUSE_LAUNCHER="$bin/gatehouse"
gatehouse_jvm_options "$jdk" "$jar" "$@"
exec "$jdk/bin/java" "${GATEHOUSE_JVM_OPTS[@]}" -jar "$jar" "$@"
