#!/usr/bin/env bash
# Fetches OpenCV's digits.png (5,000 handwritten digits 20x20 on a 2000x1000 grey sheet), the
# real 6-class stand-in for the course's SIGNS set (runtime/datasets/digits.hpp), into
# data/digits.png. Only Debian's opencv-doc ships it, a 96 MB package: this downloads the .deb
# into a temporary directory, extracts that one file and deletes the rest; nothing is
# installed. Idempotent: does nothing when data/digits.png exists. data/ is git-ignored.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$repo/data/digits.png"
member="./usr/share/doc/opencv-doc/examples/data/digits.png"

if [ -s "$target" ]; then
  echo "fetch-digits: $target already present"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
# apt-get download needs the package lists; refresh them only when the first try fails.
if ! apt-get download opencv-doc >"$tmp/apt.log" 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q >>"$tmp/apt.log" 2>&1 || true
  apt-get download opencv-doc >>"$tmp/apt.log" 2>&1 || {
    tail -n 20 "$tmp/apt.log" >&2
    echo "fetch-digits: 'apt-get download opencv-doc' failed; this needs Debian's archive" \
         "(see the log above)" >&2
    exit 1
  }
fi
deb="$(ls "$tmp"/opencv-doc_*.deb)"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "$member" || {
  echo "fetch-digits: $deb has no $member; expected OpenCV's sample data in opencv-doc" >&2
  exit 1
}
mkdir -p "$repo/data"
# Move into place in one step so an interrupted run never leaves a partial image.
cp "$tmp/$member" "$target.part"
mv "$target.part" "$target"
echo "fetch-digits: wrote $target ($(stat -c %s "$target") bytes)"
