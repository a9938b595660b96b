#!/usr/bin/env bash
# Fetches real Standard MIDI Files for runtime/midi.hpp and runtime/melody.hpp (the jazz LSTM's
# data) from two Debian packages, without installing either: `apt-get download` puts each .deb
# in a temporary directory, `dpkg-deb -x` unpacks it there, and only the .mid files (plus the
# package's copyright file) are copied:
#   openttd-openmsx  the 31 pieces of OpenMSX (OpenTTD's music set, GPL-2), flat,
#                    from /usr/share/games/openttd/baseset/openmsx/    -> data/midi/openmsx/
#   mma              the 63 example songs of Musical MIDI Accompaniment (GPL-2), from
#                    /usr/share/doc/mma/examples/<topic>/*.mid; the topic folders are kept
#                    because two topics hold a file of the same name   -> data/midi/mma/
# Idempotent: a package whose folder already holds its .done marker is skipped. data/ is
# git-ignored.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$repo/data/midi"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# download PKG: the package's .deb into $tmp/PKG/, unpacked into $tmp/PKG/root/.
download() {
  local pkg="$1"
  mkdir -p "$tmp/$pkg/root"
  # apt-get download needs the package lists; refresh them only when the first try fails.
  if ! (cd "$tmp/$pkg" && apt-get download "$pkg") >"$tmp/apt.log" 2>&1; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q >>"$tmp/apt.log" 2>&1 || true
    (cd "$tmp/$pkg" && apt-get download "$pkg") >>"$tmp/apt.log" 2>&1 || {
      tail -n 20 "$tmp/apt.log" >&2
      echo "fetch-midi: 'apt-get download $pkg' failed; this needs Debian's archive" \
           "(see the log above)" >&2
      exit 1
    }
  fi
  dpkg-deb -x "$tmp/$pkg"/"$pkg"_*.deb "$tmp/$pkg/root"
}

# install_set PKG SOURCE_DIR EXPECTED: copies SOURCE_DIR's .mid files (relative paths kept)
# into data/midi/<name>/, writing into a .part folder that is renamed only when complete.
install_set() {
  local pkg="$1" name="$2" source="$3" expected="$4"
  local target="$root/$name"
  if [ -f "$target/.done" ]; then
    echo "fetch-midi: $target already present ($(find "$target" -name '*.mid' | wc -l) files)"
    return
  fi
  download "$pkg"
  local from="$tmp/$pkg/root$source"
  [ -d "$from" ] || {
    echo "fetch-midi: $pkg has no $source; expected its MIDI files there" >&2
    exit 1
  }
  local found
  found="$(cd "$from" && find . -name '*.mid' -type f | wc -l)"
  if [ "$found" -ne "$expected" ]; then
    echo "fetch-midi: $pkg has $found .mid files under $source, expected $expected;" \
         "the package changed - check it and update this script" >&2
    exit 1
  fi
  rm -rf "$target.part"
  mkdir -p "$target.part"
  (cd "$from" && find . -name '*.mid' -type f -print0 | xargs -0 cp --parents -t "$target.part")
  cp "$tmp/$pkg/root/usr/share/doc/$pkg/copyright" "$target.part/COPYRIGHT"
  touch "$target.part/.done"
  rm -rf "$target"
  mv "$target.part" "$target"
  echo "fetch-midi: wrote $target ($found .mid files from Debian's $pkg)"
}

mkdir -p "$root"
install_set openttd-openmsx openmsx /usr/share/games/openttd/baseset/openmsx 31
install_set mma mma /usr/share/doc/mma/examples 63
