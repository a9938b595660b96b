#!/usr/bin/env bash
# Fetches the real pretrained Keras MobileNetV2 (alpha 1.0, Keras 2.2.4 layer names, weights
# uint8-quantized) that npm package nsfwjs 4.3.0 ships as browserify bundles, the stand-in for
# the course's ImageNet MobileNetV2 (DATA.md). `npm pack` downloads the tarball into a temporary
# directory (nothing is installed) and scripts/nsfwjs-unpack.cjs writes a standard TF.js layers
# model into data/nsfwjs/mobilenet_v2/: model.json, group1-shard1of1.bin and nsfwjs's LICENSE
# (MIT). Needs node and npm; installs Debian's nodejs + npm when they are missing.
# Idempotent: does nothing when model.json and its shard exist. data/ is git-ignored.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="4.3.0"
target="$repo/data/nsfwjs/mobilenet_v2"
shard="group1-shard1of1.bin"   # the one path model.json's weightsManifest names

if [ -s "$target/model.json" ] && [ -s "$target/$shard" ]; then
  echo "fetch-nsfwjs: $target/model.json already present"
  exit 0
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      echo "fetch-nsfwjs: needs node and npm; install Debian's 'nodejs npm' as root" \
           "(apt-get install nodejs npm) and run this again" >&2
      exit 1
    }
    sudo="sudo"
  fi
  echo "fetch-nsfwjs: installing Debian's nodejs npm"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q --no-install-recommends nodejs npm >/tmp/kiln-apt-node.log 2>&1; then
    $sudo apt-get update -q >>/tmp/kiln-apt-node.log 2>&1 || true
    $sudo apt-get install -y -q --no-install-recommends nodejs npm >>/tmp/kiln-apt-node.log 2>&1 || {
      tail -n 20 /tmp/kiln-apt-node.log >&2
      echo "fetch-nsfwjs: 'apt-get install nodejs npm' failed (log: /tmp/kiln-apt-node.log);" \
           "install node and npm some other way and run this again" >&2
      exit 1
    }
  fi
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "nsfwjs@$version" >"$tmp/npm.log" 2>&1) || {
  tail -n 20 "$tmp/npm.log" >&2
  echo "fetch-nsfwjs: 'npm pack nsfwjs@$version' failed; this needs the npm registry" \
       "(see the log above)" >&2
  exit 1
}
tar -xzf "$tmp/nsfwjs-$version.tgz" -C "$tmp"   # -> $tmp/package/
[ -f "$tmp/package/dist/models/mobilenet_v2/model.min.js" ] || {
  echo "fetch-nsfwjs: nsfwjs-$version.tgz has no package/dist/models/mobilenet_v2/model.min.js" >&2
  exit 1
}
mkdir -p "$target"
cp "$tmp/package/LICENSE" "$target/LICENSE"
# Writes model.json last, so the check above never sees a half-written model.
node "$repo/scripts/nsfwjs-unpack.cjs" "$tmp/package" "$target"
echo "fetch-nsfwjs: wrote $target ($(du -sh "$target" | cut -f1))"
