#!/usr/bin/env node
// Turns nsfwjs's browserify bundles of its MobileNetV2 (dist/models/mobilenet_v2/model.min.js:
// module.exports = {modelTopology, weightsManifest}; group1-shard1of1.min.js: module.exports =
// the weight shard as one base64 string) into a standard TF.js layers model:
//   OUT_DIR/model.json             {format, generatedBy, convertedBy, modelTopology, weightsManifest}
//   OUT_DIR/group1-shard1of1.bin   the decoded shard (uint8-quantized weights, manifest order)
// Usage: node scripts/nsfwjs-unpack.cjs NSFWJS_PACKAGE_DIR OUT_DIR
// Called by scripts/fetch-nsfwjs.sh; files are written as *.part and renamed, so an interrupted
// run never leaves a model.json that names a missing or short shard.
"use strict";
const fs = require("fs");
const path = require("path");

function fail(message) {
  console.error(`nsfwjs-unpack: ${message}`);
  process.exit(1);
}

if (process.argv.length !== 4) fail("usage: node nsfwjs-unpack.cjs NSFWJS_PACKAGE_DIR OUT_DIR");
const pkgDir = path.resolve(process.argv[2]);
const outDir = path.resolve(process.argv[3]);
const bundleDir = path.join(pkgDir, "dist", "models", "mobilenet_v2");

const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
const model = require(path.join(bundleDir, "model.min.js"));
if (!model || !model.modelTopology || !Array.isArray(model.weightsManifest)) {
  fail(`${bundleDir}/model.min.js does not export {modelTopology, weightsManifest}; ` +
       `expected nsfwjs 4.x's bundle layout (found keys: ${Object.keys(model || {})})`);
}

// Bytes per stored element: quantized weights take their quantization dtype's size.
const bytesOf = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };
function specBytes(spec) {
  const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
  if (!(dtype in bytesOf)) fail(`weight ${spec.name}: unknown dtype ${dtype}`);
  return spec.shape.reduce((a, b) => a * b, 1) * bytesOf[dtype];
}

fs.mkdirSync(outDir, { recursive: true });
const manifest = [];
const written = [];
for (const group of model.weightsManifest) {
  // nsfwjs 4.x names its shards without an extension and concatenates them in path order.
  const shards = group.paths.map((name) => {
    const text = require(path.join(bundleDir, `${name}.min.js`));
    if (typeof text !== "string") fail(`${name}.min.js does not export a base64 string`);
    return { name: `${name}.bin`, bytes: Buffer.from(text, "base64") };
  });
  const want = group.weights.reduce((a, w) => a + specBytes(w), 0);
  const got = shards.reduce((a, s) => a + s.bytes.length, 0);
  if (want !== got) {
    fail(`shards ${group.paths} hold ${got} bytes but the manifest's ${group.weights.length} ` +
         `weights need ${want}; the bundle is damaged or its layout changed`);
  }
  for (const s of shards) {
    fs.writeFileSync(path.join(outDir, `${s.name}.part`), s.bytes);
    written.push(s.name);
  }
  manifest.push({ paths: shards.map((s) => s.name), weights: group.weights });
}

const keras = model.modelTopology.keras_version;
const json = {
  format: "layers-model",
  generatedBy: keras ? `keras v${keras}` : "keras",
  convertedBy: `nsfwjs ${pkg.version} dist/models/mobilenet_v2 bundles, ` +
               "unpacked by kiln scripts/nsfwjs-unpack.cjs",
  modelTopology: model.modelTopology,
  weightsManifest: manifest,
};
fs.writeFileSync(path.join(outDir, "model.json.part"), JSON.stringify(json));
// Shards first, model.json last: its presence means the whole model is in place.
for (const name of [...written, "model.json"]) {
  fs.renameSync(path.join(outDir, `${name}.part`), path.join(outDir, name));
}
const nWeights = manifest.reduce((a, g) => a + g.weights.length, 0);
console.log(`nsfwjs-unpack: wrote ${outDir}/model.json (${nWeights} weights) and ${written.join(", ")}`);
