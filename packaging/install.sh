#!/usr/bin/env bash
# Installs Gatehouse as a hardened systemd service (docs/service.md), or removes it.
#
#   packaging/install.sh [--prefix DIR] [--jar FILE]      install, or bring an install up to date
#   packaging/install.sh [--prefix DIR] --uninstall [--purge]
#
# What it installs (PREFIX is / unless --prefix):
#   PREFIX/opt/gatehouse/bin/gatehouse         the launcher (finds a JDK >= 21, runs the jar)
#   PREFIX/opt/gatehouse/gatehouse.jar         the built jar (target/gatehouse.jar, or --jar FILE)
#   PREFIX/opt/gatehouse/lib/*.jar             its libraries (the lib/ folder beside that jar)
#   PREFIX/opt/gatehouse/gatehouse-*.aot       the start cache of that jar on the JDK found (JDK 25+;
#                                              .jsa on JDK 21-24): made here for each new jar or JDK
#   PREFIX/opt/gatehouse/share/...             find-jdk.sh, jvm-start.sh, service.md, the password.conf example
#   PREFIX/usr/local/bin/gatehouse             a symbolic link to the launcher
#   PREFIX/etc/systemd/system/gatehouse.service
#   PREFIX/var/lib/gatehouse                   the home (mode 0700, the gatehouse user's):
#                                              made when missing, never changed when present
# and, at PREFIX /, the system user and group `gatehouse`.
#
# Guarantees: a second run changes nothing (a file whose content is already right is not
# rewritten); an existing home, and so the vault, the audit log and gatehouse.yaml in it, is
# never overwritten, changed or removed, except by --uninstall --purge.
set -euo pipefail
# What is installed is readable by all and writable by root only, whatever root's own umask is;
# the home is made 0700 on its own.
umask 022
PATH="$PATH:/usr/sbin:/sbin" # useradd and userdel, when root's PATH lacks them

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
repo="$(dirname "$here")"

user=gatehouse
prefix=/
jar="$repo/target/gatehouse.jar"
uninstall=0
purge=0

usage() {
  sed -n '2,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

die() {
  echo "install.sh: $*" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --jar) [ $# -ge 2 ] || die "--jar needs a file"; jar="$2"; shift 2 ;;
    --jar=*) jar="${1#--jar=}"; shift ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

[ "$purge" = 0 ] || [ "$uninstall" = 1 ] || die "--purge goes with --uninstall"
if [ -z "$prefix" ] || [ ! -d "$prefix" ]; then
  die "--prefix $prefix is not a directory"
fi
prefix="$(cd "$prefix" && pwd)"
system=0 # the real system: make the user, set owners, talk to systemd
if [ "$prefix" = / ]; then
  system=1
  root=""
  [ "$(id -u)" = 0 ] || die "installing into / needs root (run it with sudo), or give --prefix DIR"
else
  root="$prefix"
fi

opt="$root/opt/gatehouse"
unit="$root/etc/systemd/system/gatehouse.service"
link="$root/usr/local/bin/gatehouse"
home="$root/var/lib/gatehouse"
changed=0

say() {
  echo "install.sh: $*"
}

running_systemd() {
  [ "$system" = 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

# Copies $1 to $2 with mode $3 unless $2 already holds exactly that content and mode;
# says so unless $4 is "quiet". Sets put_changed.
put() {
  local src="$1" dst="$2" mode="$3" quiet="${4:-}"
  put_changed=0
  if [ -f "$dst" ] && [ ! -L "$dst" ] && cmp -s "$src" "$dst" \
      && [ "$(stat -c %a "$dst")" = "${mode#0}" ]; then
    return 0
  fi
  mkdir -p "$(dirname "$dst")"
  # A new file beside the old one, then a rename: a running service never sees half a jar.
  local tmp
  tmp="$(mktemp "$dst.XXXXXX")"
  cp "$src" "$tmp"
  chmod "$mode" "$tmp"
  [ "$system" = 0 ] || chown root:root "$tmp"
  mv -f "$tmp" "$dst"
  [ "$quiet" = quiet ] || say "installed $dst"
  put_changed=1
  changed=1
}

# Removes $1 if it exists (a file or a symbolic link); says so unless $2 is "quiet".
drop() {
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -f "$1"
    [ "${2:-}" = quiet ] || say "removed $1"
  fi
}

# Removes the folder $1 and the empty folders above it up to (not including) $2.
prune() {
  local d="$1" stop="$2"
  while [ "$d" != "$stop" ] && [ -d "$d" ] && rmdir "$d" 2>/dev/null; do
    d="$(dirname "$d")"
  done
}

if [ "$uninstall" = 1 ]; then
  if running_systemd && systemctl cat gatehouse.service >/dev/null 2>&1; then
    systemctl disable --now gatehouse.service || true
  fi
  drop "$unit"
  drop "$link"
  for f in bin/gatehouse gatehouse.jar share/find-jdk.sh share/jvm-start.sh share/doc/service.md share/password.conf; do
    drop "$opt/$f"
  done
  for f in "$opt"/gatehouse-*.aot* "$opt"/gatehouse-*.jsa*; do
    [ -e "$f" ] || continue
    case "$f" in *.aot|*.jsa) drop "$f" ;; *) drop "$f" quiet ;; esac
  done
  n=0
  for f in "$opt"/lib/*.jar; do
    [ -e "$f" ] || continue
    drop "$f" quiet
    n=$((n + 1))
  done
  [ "$n" = 0 ] || say "removed $n libraries from $opt/lib"
  for d in "$opt/bin" "$opt/lib" "$opt/share/doc" "$opt/share"; do
    prune "$d" "$opt"
  done
  prune "$opt" "$root/opt"
  prune "$(dirname "$link")" "$root/usr"
  prune "$(dirname "$unit")" "$root/etc"
  if running_systemd; then
    systemctl daemon-reload
  fi
  if [ -d "$root/etc/systemd/system/gatehouse.service.d" ]; then
    say "kept $root/etc/systemd/system/gatehouse.service.d (your drop-ins; remove it yourself)"
  fi
  if [ "$purge" = 1 ]; then
    if [ -d "$home" ]; then
      rm -rf "$home"
      say "purged $home: the vault, the audit log and the settings are gone"
    fi
    prune "$(dirname "$home")" "$root/var"
    if [ "$system" = 1 ] && id -u "$user" >/dev/null 2>&1; then
      userdel "$user"
      say "removed the user $user"
    fi
  else
    if [ -d "$home" ]; then
      say "kept $home (the vault, the audit log, gatehouse.yaml); --uninstall --purge removes it"
    fi
    if [ "$system" = 1 ] && id -u "$user" >/dev/null 2>&1; then
      say "kept the user $user, who owns $home; --uninstall --purge removes it"
    fi
  fi
  exit 0
fi

[ -f "$jar" ] || die "no jar at $jar: build it first (./mvnw -B -DskipTests package), or give --jar FILE"
libs="$(dirname "$jar")/lib"
compgen -G "$libs/*.jar" >/dev/null || die "no libraries in $libs: the jar needs the lib/ folder the build puts beside it"

# The user: a system account with no login and no home of its own making.
if [ "$system" = 1 ]; then
  if ! id -u "$user" >/dev/null 2>&1; then
    nologin="$(command -v nologin || echo /usr/sbin/nologin)"
    useradd --system --user-group --home-dir /var/lib/gatehouse --no-create-home --shell "$nologin" \
      --comment "Gatehouse service" "$user"
    say "created the system user $user"
    changed=1
  fi
else
  say "--prefix: the user $user is not made, and files keep their current owner"
fi

put "$here/gatehouse-launcher.sh" "$opt/bin/gatehouse" 0755
put "$jar" "$opt/gatehouse.jar" 0644
n=0
for f in "$libs"/*.jar; do
  put "$f" "$opt/lib/$(basename "$f")" 0644 quiet
  n=$((n + put_changed))
done
[ "$n" = 0 ] || say "installed $n libraries in $opt/lib"
# lib/ is the build's: a library an upgrade no longer ships goes.
for f in "$opt"/lib/*.jar; do
  if [ -e "$f" ] && [ ! -e "$libs/$(basename "$f")" ]; then
    drop "$f"
    changed=1
  fi
done
put "$repo/.mvn/find-jdk.sh" "$opt/share/find-jdk.sh" 0644
put "$repo/.mvn/jvm-start.sh" "$opt/share/jvm-start.sh" 0644
put "$repo/docs/service.md" "$opt/share/doc/service.md" 0644
put "$here/password.conf" "$opt/share/password.conf" 0644
put "$here/gatehouse.service" "$unit" 0644

# The start cache (.mvn/jvm-start.sh): commands other than serve start from it. Made here, as
# the jar's owner, because nobody who runs the installed command may write beside the jar.
# shellcheck disable=SC1091 # the checkout's JDK search and start options, as the launcher has them
. "$repo/.mvn/find-jdk.sh"
# shellcheck disable=SC1091
. "$repo/.mvn/jvm-start.sh"
jdk="$(gatehouse_find_jdk)"
cache=""
[ -z "$jdk" ] || cache="$(gatehouse_start_cache "$jdk" "$opt/gatehouse.jar")"
if [ -z "$jdk" ]; then
  say "warning: no JDK 21 or newer found; the start cache is not made (commands start without it)"
elif [ -n "$cache" ] && [ ! -f "$cache" ] && gatehouse_may_build_cache "$opt/gatehouse.jar" "$cache"; then
  if (gatehouse_build_cache "$jdk" "$opt/gatehouse.jar" "$cache" </dev/null >/dev/null 2>&1); then
    [ "$system" = 0 ] || chown root:root "$cache"
    say "made the start cache $cache"
  else
    say "warning: could not make the start cache $cache (commands start without it)"
  fi
  changed=1
fi

if [ "$(readlink "$link" 2>/dev/null || true)" != /opt/gatehouse/bin/gatehouse ]; then
  if [ -e "$link" ] && [ ! -L "$link" ]; then
    say "kept $link: it is not a link to /opt/gatehouse/bin/gatehouse; run /opt/gatehouse/bin/gatehouse"
  else
    mkdir -p "$(dirname "$link")"
    ln -sfn /opt/gatehouse/bin/gatehouse "$link"
    say "linked $link -> /opt/gatehouse/bin/gatehouse"
    changed=1
  fi
fi

if [ -e "$home" ] || [ -L "$home" ]; then
  if [ -L "$home" ] || [ ! -d "$home" ]; then
    say "warning: $home exists and is not a directory; the service will not start (nothing changed)"
  elif [ "$(stat -c %a "$home")" != 700 ]; then
    say "warning: $home has mode $(stat -c %a "$home"), not 0700; the service will refuse it (nothing changed)"
  elif [ "$system" = 1 ] && [ "$(stat -c %U "$home")" != "$user" ]; then
    say "warning: $home belongs to $(stat -c %U "$home"), not $user; the service will refuse it (nothing changed)"
  fi
else
  mkdir -p "$(dirname "$home")"
  (umask 077 && mkdir "$home")
  chmod 0700 "$home"
  [ "$system" = 0 ] || chown "$user:$user" "$home"
  say "made the home $home (mode 0700)"
  changed=1
fi

if [ "$changed" = 0 ]; then
  say "nothing to change: the install at $prefix is up to date"
fi
if running_systemd; then
  systemctl daemon-reload
  if [ "$changed" = 1 ] && systemctl is-active --quiet gatehouse.service; then
    say "gatehouse.service is running the old files: systemctl restart gatehouse"
  fi
fi
if [ ! -e "$home/gatehouse.yaml" ]; then
  say "next: sudo -u $user /opt/gatehouse/bin/gatehouse --home /var/lib/gatehouse init --sealed"
  say "      then: systemctl enable --now gatehouse (docs/service.md)"
fi
