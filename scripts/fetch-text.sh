#!/usr/bin/env bash
# Fetches the text corpora of the character-level models (runtime/datasets/text.hpp,
# runtime/datasets/dinosaurs.hpp) into data/ (git-ignored). Debian packages are downloaded
# into a temporary directory and unpacked there; nothing is installed.
#   data/janeaustenr/Rdata.{rdb,rdx,rds}, COPYRIGHT
#       Jane Austen's six novels: the R lazy-load database of r-cran-janeaustenr (read by
#       kiln::rdata; R itself is not needed).
#   data/dinosaurs/real.txt
#       real dinosaur genus names, one lowercase name per line, sorted, extracted from
#       WordNet 3.0 (wordnet-base: /usr/share/wordnet/data.noun) and Webster's Second
#       (miscfiles: /usr/share/dict/web2) - the installed files when present. The rule:
#         1. WordNet: the one noun synset with the word "dinosaur" and everything below it
#            through hyponym pointers ("~", "~i"). Take every one-word lemma of those synsets
#            ending in saurus, ceratops, raptor, don, nychus, mimus, docus, gnathus, cheirus,
#            titan, physis or onia, and X from every "genus_X" lemma of the synsets they are
#            members of ("#m": the genus of each dinosaur).
#         2. web2: every capitalised word [A-Z][a-z]+ ending in saurus, ceratops or mimus,
#            unless WordNet names it as the genus of something that is not under "dinosaur"
#            (that removes e.g. ichthyosaurus, plesiosaurus, nothosaurus, xenosaurus).
#         3. minus the words below, read one by one and found not to be dinosaur genera.
# Idempotent: does nothing for a part whose files exist.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
austen="$repo/data/janeaustenr"
dinos="$repo/data/dinosaurs"

# Rule 3: web2 / WordNet words that are not dinosaur genera, by group.
not_dinosaurs=(
  maniraptor                                   # WordNet: a clade's common noun, not a genus
  aetosaurus teleosaurus                       # pseudosuchian archosaur, crocodylomorph
  aigialosaurus dolichosaurus ophiosaurus      # lizards
  edestosaurus lestosaurus mosasaurus tylosaurus   # mosasaurs (marine lizards)
  elasmosaurus pliosaurus simosaurus           # plesiosaurs, a nothosaur
  mixosaurus ophthalmosaurus proteosaurus      # ichthyosaurs
  anthracosaurus archegosaurus branchiosaurus chelidosaurus cyclotosaurus eosaurus
  mastodonsaurus trematosaurus                 # Palaeozoic / Triassic amphibians
  galesaurus naosaurus basilosaurus            # a cynodont, a pelycosaur, an early whale
  halosaurus                                   # a fish
  mesosaurus pareiasaurus pariasaurus pleurosaurus protorosaurus  # other early reptiles
  griphosaurus gryphosaurus                    # old names of Archaeopteryx, an early bird
  palaeosaurus                                 # a doubtful Triassic archosaur
)

have_austen() { [ -s "$austen/Rdata.rdb" ] && [ -s "$austen/Rdata.rdx" ] && [ -s "$austen/Rdata.rds" ]; }
have_dinos() { [ -s "$dinos/real.txt" ]; }

if have_austen && have_dinos; then
  echo "fetch-text: $austen and $dinos/real.txt already present"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# download PKG: the .deb into $tmp (no install); refreshes the package lists once on failure.
download() {
  local pkg="$1"
  if ! (cd "$tmp" && apt-get download "$pkg") >>"$tmp/apt.log" 2>&1; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q >>"$tmp/apt.log" 2>&1 || true
    (cd "$tmp" && apt-get download "$pkg") >>"$tmp/apt.log" 2>&1 || {
      tail -n 20 "$tmp/apt.log" >&2
      echo "fetch-text: 'apt-get download $pkg' failed; this needs Debian's archive" \
           "(see the log above)" >&2
      exit 1
    }
  fi
  ls "$tmp/${pkg}"_*.deb
}

# extract PKG MEMBER...: the members (./usr/...) of PKG's .deb into $tmp/root.
extract() {
  local pkg="$1"; shift
  local deb
  deb="$(download "$pkg")"
  mkdir -p "$tmp/root"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/root" "$@" || {
    echo "fetch-text: $deb lacks one of: $*" >&2
    exit 1
  }
}

fetched=()

if ! have_austen; then
  lib="./usr/lib/R/site-library/janeaustenr/data"
  extract r-cran-janeaustenr "$lib/Rdata.rdb" "$lib/Rdata.rdx" "$lib/Rdata.rds" \
    ./usr/share/doc/r-cran-janeaustenr/copyright
  mkdir -p "$austen"
  cp "$tmp/root/usr/share/doc/r-cran-janeaustenr/copyright" "$austen/COPYRIGHT"
  # The .rdb last, each through a temporary name, so a partial run is never taken as complete.
  for f in Rdata.rdx Rdata.rds Rdata.rdb; do
    cp "$tmp/root/$lib/$f" "$austen/$f.part"
    mv "$austen/$f.part" "$austen/$f"
  done
  fetched+=("$austen (Rdata.rdb $(stat -c %s "$austen/Rdata.rdb") bytes)")
fi

if ! have_dinos; then
  web2=/usr/share/dict/web2
  wordnet=/usr/share/wordnet/data.noun
  if [ ! -s "$web2" ]; then
    extract miscfiles ./usr/share/dict/web2
    web2="$tmp/root/usr/share/dict/web2"
  fi
  if [ ! -s "$wordnet" ]; then
    extract wordnet-base ./usr/share/wordnet/data.noun
    wordnet="$tmp/root/usr/share/wordnet/data.noun"
  fi
  mkdir -p "$dinos"
  # One awk pass over data.noun (rule 1), then web2 (rule 2); rule 3 is -v excluded.
  awk -v excluded="${not_dinosaurs[*]}" '
    function hexval(s,   i, v) {
      v = 0
      for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
      return v
    }
    function walk(   k, r, todo, nt, s, lst, cnt, i, ws, nw, j, w, gl, ng) {
      k = 0
      for (r in roots) k++
      if (k != 1) {
        print "fetch-text: expected one WordNet noun synset with the word dinosaur, found " k > "/dev/stderr"
        exit 2
      }
      nt = 0
      for (r in roots) todo[++nt] = r
      while (nt > 0) {                                  # depth-first over hyponyms
        s = todo[nt--]
        if (s in seen) continue
        seen[s] = 1
        cnt = split(hypo[s], lst, " ")
        for (i = 1; i <= cnt; i++) todo[++nt] = lst[i]
      }
      for (s in seen) {
        nw = split(words[s], ws, " ")
        for (j = 1; j <= nw; j++) {
          w = tolower(ws[j])
          if (w ~ /^[a-z]+$/ && w ~ /(saurus|ceratops|raptor|don|nychus|mimus|docus|gnathus|cheirus|titan|physis|onia)$/) keep[w] = 1
        }
        ng = split(holo[s], gl, " ")
        for (i = 1; i <= ng; i++) {
          nw = split(words[gl[i]], ws, " ")
          for (j = 1; j <= nw; j++) if (ws[j] ~ /^genus_[A-Za-z]+$/) keep[tolower(substr(ws[j], 7))] = 1
        }
      }
      for (s in words) {                                # genera of everything else
        nw = split(words[s], ws, " ")
        for (j = 1; j <= nw; j++)
          if (ws[j] ~ /^genus_[A-Za-z]+$/) { w = tolower(substr(ws[j], 7)); if (!(w in keep)) other[w] = 1 }
      }
    }
    BEGIN { n = split(excluded, e, " "); for (i = 1; i <= n; i++) dropped[e[i]] = 1 }
    FNR == NR {                                         # data.noun (wndb(5WN))
      if ($0 ~ /^  /) next                              # the licence header
      nw = hexval($4); w = ""
      for (i = 0; i < nw; i++) { w = w " " $(5 + 2 * i); if ($(5 + 2 * i) == "dinosaur") roots[$1] = 1 }
      words[$1] = w
      p = 5 + 2 * nw; np = $p + 0; p++; h = ""; m = ""
      for (i = 0; i < np; i++) {
        if (($p == "~" || $p == "~i") && $(p + 2) == "n") h = h " " $(p + 1)
        if ($p == "#m") m = m " " $(p + 1)
        p += 4
      }
      hypo[$1] = h; holo[$1] = m
      next
    }
    !walked { walk(); walked = 1 }
    /^[A-Z][a-z]+$/ {                                   # web2
      w = tolower($0)
      if (w ~ /(saurus|ceratops|mimus)$/ && !(w in other)) keep[w] = 1
    }
    END {
      if (!walked) walk()
      for (w in keep) if (!(w in dropped)) print w
    }' "$wordnet" "$web2" | LC_ALL=C sort -u >"$dinos/real.txt.part"
  count="$(wc -l <"$dinos/real.txt.part")"
  if [ "$count" -lt 40 ]; then
    echo "fetch-text: extracted only $count dinosaur names from $wordnet and $web2;" \
         "expected about 52 - are these WordNet 3.0 and Webster's Second?" >&2
    rm -f "$dinos/real.txt.part"
    exit 1
  fi
  mv "$dinos/real.txt.part" "$dinos/real.txt"
  fetched+=("$dinos/real.txt ($count names)")
fi

echo "fetch-text: wrote ${fetched[*]}"
