#include "lmkit/api/seq2seq_codec.hpp"

#include <gtest/gtest.h>

#include "lmkit/text/tokenizer.hpp"

namespace lmkit::api {
namespace {

TEST(Seq2SeqCodec, TheSpecialIdsFollowTheTokenizersIds) {
  nn::Seq2SeqConfig config;
  set_seq2seq_special_ids(config, 256);
  EXPECT_EQ(config.vocab_size, 260u);
  EXPECT_EQ(config.pad_id, 256);
  EXPECT_EQ(config.bos_id, 257);
  EXPECT_EQ(config.decoder_start_id, 257);
  EXPECT_EQ(config.eos_id, 258);
  EXPECT_EQ(config.mask_id, 259);
}

TEST(Seq2SeqCodec, MaskMarkersBecomeTheMaskIdInSourcesOnly) {
  auto tokenizer = text::load_tokenizer("bytes");
  nn::Seq2SeqConfig config;
  set_seq2seq_special_ids(config, tokenizer->vocab_size());
  Seq2SeqCodec codec(*tokenizer, config);
  const std::vector<std::int32_t> ids = codec.encode("ab<mask>c", true);
  EXPECT_EQ(ids, (std::vector<std::int32_t>{'a', 'b', config.mask_id, 'c'}));
  EXPECT_EQ(codec.encode("a<mask>", false).size(), 7u);  // the marker's bytes
  EXPECT_EQ(codec.decode(ids), "ab<mask>c");
}

TEST(Seq2SeqCodec, DecodingLeavesOutPadStartAndEnd) {
  auto tokenizer = text::load_tokenizer("bytes");
  nn::Seq2SeqConfig config;
  set_seq2seq_special_ids(config, tokenizer->vocab_size());
  Seq2SeqCodec codec(*tokenizer, config);
  EXPECT_EQ(codec.decode({config.decoder_start_id, 'h', 'i', config.eos_id, config.pad_id, -1}), "hi");
  // A model without a mask id reads the marker as text.
  config.mask_id = -1;
  EXPECT_EQ(codec.encode("<mask>", true).size(), 6u);
}

}  // namespace
}  // namespace lmkit::api
