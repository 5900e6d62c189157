#!/usr/bin/env node
// The anchor for tokenizer_throughput: gpt-3-encoder's Encoder.js (node) encoding the same file, one
// document per line, after one warm-up pass (which fills its word cache, as lmkit's warm-up does).
//
//   node bench/gpt2_js_throughput.js data/gpt2 TEXT [runs]
'use strict';
const fs = require('fs');
const path = require('path');
const { encode } = require(path.resolve(process.argv[2], 'Encoder.js'));
const file = process.argv[3];
const runs = Number(process.argv[4] || 5);
const documents = fs.readFileSync(file, 'utf-8').split('\n').filter((line) => line.length > 0);
const bytes = documents.reduce((sum, d) => sum + Buffer.byteLength(d, 'utf-8'), 0);
const pass = () => { let n = 0; for (const d of documents) n += encode(d).length; return n; };
pass();
// Wall rate, and MB per CPU-second of the process (user + system, as lmkit's figure).
const rates = [], cpuRates = [];
for (let r = 0; r < runs; ++r) {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  pass();
  const cpu = process.cpuUsage(cpuStart);
  cpuRates.push(bytes / 1e6 / ((cpu.user + cpu.system) / 1e6));
  rates.push(bytes / 1e6 / (Number(process.hrtime.bigint() - start) / 1e9));
}
const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${sorted[Math.floor(sorted.length / 2)].toFixed(2)} (${sorted[0].toFixed(2)}-${sorted[sorted.length - 1].toFixed(2)})`;
};
console.log(`gpt-3-encoder Encoder.js threads=1: wall ${summary(rates)} MB/s; ${summary(cpuRates)} MB per CPU-second`);
