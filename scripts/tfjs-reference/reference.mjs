#!/usr/bin/env node
// Reference run of the original TFJS NanoDet graph model on the pure-JS
// @tensorflow/tfjs CPU backend (no tfjs-node). Writes sums and a strided
// sample of every signature output to a JSON file, so that the C++
// converter + engine output can be compared with it.
//
// Usage:
//   node reference.mjs --model DIR_WITH_nanodet.json --input INPUT.f32 \
//       --shape 1,3,416,416 --out reference.json [--stride K]
//
// --model   directory holding nanodet.json (+ its weight shards), or the
//           model JSON file itself
// --input   raw little-endian float32 file, exactly prod(shape)*4 bytes
// --shape   comma-separated input shape, e.g. 1,3,416,416
// --out     output JSON path
// --stride  sample every K-th value of each output (flat index 0, K, 2K, ...);
//           default 20, 1 = the whole tensor

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';

const DEFAULT_STRIDE = 20;
const USAGE =
  'usage: node reference.mjs --model DIR_WITH_nanodet.json --input INPUT.f32 ' +
  '--shape 1,3,416,416 --out reference.json [--stride K]';

function log(msg) {
  process.stderr.write(`[tfjs-reference] ${msg}\n`);
}

function die(msg) {
  process.stderr.write(`error: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        model: { type: 'string' },
        input: { type: 'string' },
        shape: { type: 'string' },
        out: { type: 'string' },
        stride: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    die(e.message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  for (const k of ['model', 'input', 'shape', 'out']) {
    if (!values[k]) die(`missing --${k}`);
  }
  const shape = values.shape.split(',').map((s) => s.trim());
  if (shape.length === 0 || shape.some((s) => !/^[1-9][0-9]*$/.test(s))) {
    die(`--shape must be comma-separated positive integers, got '${values.shape}'`);
  }
  let stride = DEFAULT_STRIDE;
  if (values.stride !== undefined) {
    if (!/^[1-9][0-9]*$/.test(values.stride)) {
      die(`--stride must be a positive integer, got '${values.stride}'`);
    }
    stride = Number(values.stride);
  }
  return {
    model: values.model,
    input: values.input,
    shape: shape.map(Number),
    out: values.out,
    stride,
  };
}

function resolveModelJson(modelArg) {
  let st;
  try {
    st = statSync(modelArg);
  } catch {
    die(`--model '${modelArg}' does not exist`);
  }
  return st.isDirectory() ? join(modelArg, 'nanodet.json') : modelArg;
}

// Reads the raw little-endian float32 input and checks its size against shape.
function readInput(path, shape) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    die(`cannot read --input '${path}': ${e.message}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * 4;
  if (bytes.length !== expected) {
    die(
      `input file '${path}' has ${bytes.length} bytes, but shape [${shape}] ` +
        `needs ${count} float32 values = ${expected} bytes`,
    );
  }
  const values = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0; // float64 accumulation
  for (let i = 0; i < count; i++) {
    const v = view.getFloat32(i * 4, true);
    values[i] = v;
    sum += v;
  }
  return { bytes, values, sum };
}

// A minimal tf.io.IOHandler reading a graph-model JSON and its weight shards
// (concatenated in manifest order) from the local file system.
function fileIOHandler(jsonPath) {
  const dir = dirname(jsonPath);
  const modelFiles = {};
  const model = JSON.parse(readFileSync(jsonPath, 'utf8'));
  modelFiles[basename(jsonPath)] = sha256(readFileSync(jsonPath));
  const weightSpecs = [];
  const shards = [];
  for (const group of model.weightsManifest || []) {
    for (const p of group.paths) {
      const buf = readFileSync(join(dir, p));
      modelFiles[p] = sha256(buf);
      shards.push(buf);
    }
    weightSpecs.push(...group.weights);
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const handler = {
    load: async () => ({
      modelTopology: model.modelTopology,
      weightSpecs,
      weightData,
      format: model.format,
      generatedBy: model.generatedBy,
      convertedBy: model.convertedBy,
      signature: model.signature,
      userDefinedMetadata: model.userDefinedMetadata,
      modelInitializer: model.modelInitializer,
    }),
  };
  return { handler, model, modelFiles, weightBytes: all.byteLength };
}

// Natural order: Identity:0, Identity_1:0, ..., Identity_10:0.
function naturalCompare(a, b) {
  const ka = a.replace(/(\d+)/g, (d) => d.padStart(12, '0'));
  const kb = b.replace(/(\d+)/g, (d) => d.padStart(12, '0'));
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function summarize(data, shape, stride) {
  let sum = 0;
  let absSum = 0;
  let min = Infinity;
  let max = -Infinity;
  let nonfinite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      nonfinite++;
      continue;
    }
    sum += v;
    absSum += Math.abs(v);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const sample = [];
  for (let i = 0; i < data.length; i += stride) sample.push(data[i]);
  return {
    shape,
    dtype: 'float32',
    count: data.length,
    sum,
    abs_sum: absSum,
    min: nonfinite === data.length ? null : min,
    max: nonfinite === data.length ? null : max,
    nonfinite,
    sample,
  };
}

async function main() {
  const args = parseCli();
  const jsonPath = resolveModelJson(args.model);

  const input = readInput(args.input, args.shape);
  log(`input ${args.input}: shape [${args.shape}], sum ${input.sum}`);

  await tf.setBackend('cpu');
  await tf.ready();
  if (tf.getBackend() !== 'cpu') throw new Error(`backend is ${tf.getBackend()}, not cpu`);
  log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);

  log(`loading ${jsonPath}`);
  const t0 = performance.now();
  const { handler, model: modelJson, modelFiles, weightBytes } = fileIOHandler(jsonPath);
  const model = await tf.loadGraphModel(handler);
  const tLoad = performance.now() - t0;
  log(`loaded in ${(tLoad / 1000).toFixed(2)} s (${weightBytes} weight bytes)`);

  const sig = modelJson.signature || {};
  const inputNames = sig.inputs ? Object.keys(sig.inputs) : model.inputs.map((t) => t.name);
  const outputNames = sig.outputs
    ? Object.keys(sig.outputs).sort(naturalCompare)
    : model.outputs.map((t) => t.name).sort(naturalCompare);
  if (inputNames.length !== 1) {
    throw new Error(`model has ${inputNames.length} inputs (${inputNames}); this tool feeds exactly one`);
  }
  const inputName = inputNames[0];
  const sigInput = sig.inputs && sig.inputs[inputName];
  if (sigInput) {
    if (sigInput.dtype && sigInput.dtype !== 'DT_FLOAT') {
      throw new Error(`input ${inputName} has dtype ${sigInput.dtype}; only float32 is supported`);
    }
    const dims = ((sigInput.tensorShape || {}).dim || []).map((d) => Number(d.size));
    const mismatch =
      dims.length !== args.shape.length || dims.some((d, i) => d > 0 && d !== args.shape[i]);
    if (dims.length && mismatch) {
      throw new Error(`--shape [${args.shape}] does not match signature shape [${dims}] of ${inputName}`);
    }
  }
  log(`input name ${inputName}; outputs ${outputNames.join(', ')}`);

  const x = tf.tensor(input.values, args.shape, 'float32');
  log('running (pure-JS CPU backend, expect ~20 s) ...');
  const t1 = performance.now();
  let results;
  try {
    results = model.execute({ [inputName]: x }, outputNames);
  } catch (e) {
    if (!/executeAsync/.test(String(e && e.message))) throw e;
    log('graph has dynamic ops, falling back to executeAsync');
    results = await model.executeAsync({ [inputName]: x }, outputNames);
  }
  if (!Array.isArray(results)) results = [results];
  const outputs = {};
  for (let i = 0; i < outputNames.length; i++) {
    const t = results[i];
    const data = await t.data(); // forces the computation on the CPU backend
    outputs[outputNames[i]] = summarize(Float32Array.from(data), t.shape, args.stride);
  }
  const tRun = performance.now() - t1;
  log(`ran in ${(tRun / 1000).toFixed(2)} s`);
  for (const name of outputNames) {
    const o = outputs[name];
    log(
      `  ${name} [${o.shape}] sum ${o.sum} abs_sum ${o.abs_sum} min ${o.min} max ${o.max}` +
        (o.nonfinite ? ` NONFINITE ${o.nonfinite}` : ''),
    );
  }
  tf.dispose([x, ...results]);

  const report = {
    model: basename(jsonPath),
    model_files_sha256: modelFiles,
    backend: tf.getBackend(),
    tfjs_version: tf.version.tfjs,
    node_version: process.version,
    input: {
      name: inputName,
      shape: args.shape,
      sum: input.sum,
      sha256: sha256(input.bytes),
    },
    sample_stride: args.stride,
    timing_s: { load: tLoad / 1000, run: tRun / 1000 },
    outputs,
  };
  writeFileSync(args.out, `${JSON.stringify(report, null, 1)}\n`);
  log(`wrote ${args.out}`);
}

main().catch((e) => {
  process.stderr.write(`error: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
