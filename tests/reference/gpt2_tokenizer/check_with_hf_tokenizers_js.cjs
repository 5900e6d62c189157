#!/usr/bin/env node
// Cross-check of a tokenizer.json that lmkit wrote (`lmkit tokenizer train`) against Hugging Face's
// own reader, Tokenizers.js (npm @huggingface/tokenizers, pure JavaScript). Not part of ctest (the
// package is not among lmkit's dependencies); run by hand:
//
//   (cd /tmp && npm pack @huggingface/tokenizers@0.2.0 && tar xzf huggingface-tokenizers-0.2.0.tgz)
//   node tests/reference/gpt2_tokenizer/check_with_hf_tokenizers_js.cjs /tmp/package DIR LMKIT
//
// DIR holds tokenizer.json + tokenizer_config.json; LMKIT is the lmkit binary. Encodes the texts of
// fixtures.json with both and prints the texts where the ids differ. (Tokenizers.js always matches
// added tokens such as <|endoftext|> in text; lmkit does only with --specials, so that case differs.)
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const [packageDir, dir, lmkit] = process.argv.slice(2);
const { Tokenizer } = require(path.join(packageDir, 'dist', 'tokenizers.cjs'));
const hf = new Tokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'))),
                         JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'))));
const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures.json'))).fixtures;
let differ = 0, compared = 0;
for (const { text } of fixtures) {
  if (!text) continue;
  const expected = hf.encode(text, { add_special_tokens: false }).ids;
  const got = JSON.parse(execFileSync(lmkit, ['tokenize', '--tokenizer', dir, '--json', '--file', '-'], { input: text })).ids;
  ++compared;
  if (JSON.stringify(expected) !== JSON.stringify(got)) {
    ++differ;
    console.log('differs:', JSON.stringify(text.slice(0, 80)));
  }
}
console.log(`${compared} texts compared, ${differ} differ`);
