// Runs nsfwjs 4.3.0's MobileNetV2 (the original JavaScript model, TensorFlow.js CPU backend) on
// four real photos and records what kiln's MobileNetV2 must reproduce:
//   <name>_224.png   the model's input: the photo resized to 224x224 the way nsfwjs's classify
//                    does it (bilinear, align_corners), rounded to RGB uint8
//   reference.json   per image: the 5 class probabilities, the pooled 1280 backbone features
//                    (average_pooling2d_1), dense_1 (256, after its ReLU) and 32 non-zero
//                    samples of out_relu (7x7x1280), all from feeding exactly <name>_224.png / 255
// Needs data/nsfwjs/mobilenet_v2/ (scripts/fetch-nsfwjs.sh). Usage:
//   cd tests/data/nsfwjs && npm ci && node make_reference.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import pngjs from "pngjs";
import jpeg from "jpeg-js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../..");
const modelDir = path.join(repo, "data/nsfwjs/mobilenet_v2");
const skimage = "/usr/lib/python3/dist-packages/skimage/data";
const photos = ["chelsea.png", "coffee.png", "astronaut.png", "hubble_deep_field.jpg"];
const SIZE = 224;
// nsfwjs's dist/cjs/nsfw_classes.js, in output order.
const CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];

const fmt = (v) => Number(v.toPrecision(9));
const fmtAll = (a) => Array.from(a, fmt);

function fail(message) {
  console.error(`make_reference: ${message}`);
  process.exit(1);
}

// An in-memory IOHandler: file:// URLs need tfjs-node, whose native binary cannot be fetched here.
function loadModelFromDisk() {
  const jsonPath = path.join(modelDir, "model.json");
  if (!fs.existsSync(jsonPath)) {
    fail(`${jsonPath} is missing; run scripts/fetch-nsfwjs.sh from the repository root first`);
  }
  const json = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
  const weightSpecs = [];
  const shards = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) shards.push(fs.readFileSync(path.join(modelDir, p)));
  }
  const bytes = Buffer.concat(shards);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs, weightData,
    format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy,
  }));
}

// Decoded photo as an int32 [H, W, 3] tensor (alpha, if any, dropped).
function decode(file) {
  const raw = fs.readFileSync(file);
  const img = file.endsWith(".png") ? pngjs.PNG.sync.read(raw)
                                    : jpeg.decode(raw, { useTArray: true, formatAsRGBA: true });
  const rgb = new Int32Array(img.width * img.height * 3);
  for (let i = 0, j = 0; i < img.width * img.height; ++i, j += 4) {
    rgb[3 * i] = img.data[j]; rgb[3 * i + 1] = img.data[j + 1]; rgb[3 * i + 2] = img.data[j + 2];
  }
  return tf.tensor3d(rgb, [img.height, img.width, 3], "int32");
}

// nsfwjs's NSFWJS.infer: img.toFloat().div(255), then resizeBilinear to [size, size] with
// alignCorners = true (no crop: the aspect ratio is not kept). Rounded back to uint8 here,
// so the PNG written from it is exactly what both sides feed the model (divided by 255).
function resizeLikeNsfwjs(img) {
  const resized = tf.tidy(() => tf.image.resizeBilinear(img.toFloat().div(255), [SIZE, SIZE], true));
  const values = resized.dataSync();
  resized.dispose();
  const u8 = new Uint8Array(values.length);
  for (let i = 0; i < values.length; ++i) u8[i] = Math.min(255, Math.max(0, Math.round(values[i] * 255)));
  return u8;
}

function writePng(file, rgb) {
  const png = new pngjs.PNG({ width: SIZE, height: SIZE, colorType: 2, inputColorType: 2,
                              inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(rgb);
  fs.writeFileSync(file, pngjs.PNG.sync.write(png, { colorType: 2, inputColorType: 2,
                                                     inputHasAlpha: false }));
}

// 32 positions (y, x, c) over out_relu's 7x7x1280 map. Only ~5% of out_relu is non-zero, so
// fixed positions would sample almost only zeros: each position takes a distinct cell (the four
// corners, where the asymmetric stride-2 padding shows, then 28 more spread by a stride coprime
// to 49) and, in it, the first channel from a spread start whose value lies strictly in (0, 6),
// i.e. neither cut off by the ReLU nor clipped at max_value 6 (the start channel if none does).
function samplePositions(map, h, w, c) {
  const cells = [[0, 0], [0, w - 1], [h - 1, 0], [h - 1, w - 1]];
  const isCorner = (y, x) => (y === 0 || y === h - 1) && (x === 0 || x === w - 1);
  for (let k = 0, i = 0; cells.length < 32; ++i, k = (k + 10) % (h * w)) {
    const y = Math.floor(k / w), x = k % w;
    if (!isCorner(y, x)) cells.push([y, x]);
  }
  return cells.map(([y, x], i) => {
    const start = (i * 461 + 37) % c;
    for (let j = 0; j < c; ++j) {
      const ch = (start + j) % c;
      const v = map[(y * w + x) * c + ch];
      if (v > 0 && v < 6) return [y, x, ch];
    }
    return [y, x, start];
  });
}

const t0 = performance.now();
await tf.setBackend("cpu");
await tf.ready();
const model = await loadModelFromDisk();
const layers = ["dense_3", "average_pooling2d_1", "dense_1", "out_relu"];
const probe = tf.model({ inputs: model.inputs, outputs: layers.map((n) => model.getLayer(n).output) });
const tLoad = performance.now();

const images = [];
for (const photo of photos) {
  const src = path.join(skimage, photo);
  if (!fs.existsSync(src)) fail(`${src} is missing; install Debian's python3-skimage`);
  const img = decode(src);
  const rgb = resizeLikeNsfwjs(img);
  img.dispose();
  const name = `${photo.replace(/\.[a-z]+$/, "")}_${SIZE}.png`;
  writePng(path.join(here, name), rgb);
  // Read the PNG back: the model sees exactly the bytes the kiln test will read.
  const back = pngjs.PNG.sync.read(fs.readFileSync(path.join(here, name)));
  for (let i = 0; i < SIZE * SIZE; ++i) {
    for (let k = 0; k < 3; ++k) {
      if (back.data[4 * i + k] !== rgb[3 * i + k]) fail(`${name} does not read back as written`);
    }
  }
  const outs = tf.tidy(() => probe.predict(tf.tensor4d(Float32Array.from(rgb), [1, SIZE, SIZE, 3]).div(255)));
  const [probs, pooled, dense1, outRelu] = outs.map((t) => t.dataSync());
  const [, h, w, c] = outs[3].shape;
  const positions = samplePositions(outRelu, h, w, c);
  images.push({
    file: name,
    source: `skimage/data/${photo}`,
    probabilities: fmtAll(probs),
    pooled: fmtAll(pooled),
    dense_1: fmtAll(dense1),
    out_relu_sample: {
      positions,
      values: positions.map(([y, x, ch]) => fmt(outRelu[(y * w + x) * c + ch])),
    },
  });
  outs.forEach((t) => t.dispose());
  const sum = probs.reduce((a, b) => a + b, 0);
  const top = probs.indexOf(Math.max(...probs));
  console.log(`${name}: ${CLASSES[top]} ${probs[top].toFixed(4)} [${fmtAll(probs)}] sum ${sum.toFixed(6)}`);
}

const tfjsVersion = tf.version.tfjs;
const reference = {
  model: "nsfwjs 4.3.0 mobilenet_v2",
  tfjs: tfjsVersion,
  backend: tf.getBackend(),
  input: "RGB uint8 / 255, NHWC 224x224",
  classes: CLASSES,
  images,
};
fs.writeFileSync(path.join(here, "reference.json"), JSON.stringify(reference, null, 1) + "\n");
const tEnd = performance.now();
console.log(`make_reference: tfjs ${tfjsVersion} (${tf.getBackend()}); load ${((tLoad - t0) / 1000).toFixed(2)} s,` +
            ` ${photos.length} images ${((tEnd - tLoad) / 1000).toFixed(2)} s`);
