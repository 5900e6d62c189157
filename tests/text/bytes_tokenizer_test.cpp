#include <gtest/gtest.h>

#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/error.hpp"

TEST(BytesTokenizer, IdsAreTheUtf8Bytes) {
  auto tokenizer = lmkit::text::load_tokenizer("bytes");
  EXPECT_EQ(tokenizer->spec(), "bytes");
  EXPECT_EQ(tokenizer->vocab_size(), 256u);
  std::string text = "In the beginning\n\xc3\xa9\xe2\x88\x9e";  // é ∞
  auto ids = tokenizer->encode(text);
  ASSERT_EQ(ids.size(), text.size());
  EXPECT_EQ(ids[0], 'I');
  EXPECT_EQ(ids[17], 0xc3u);
  EXPECT_EQ(tokenizer->decode(ids), text);
  EXPECT_EQ(tokenizer->id_of("A"), 65u);
  EXPECT_FALSE(tokenizer->id_of("AB").has_value());
}

TEST(BytesTokenizer, OutOfRangeIdIsNamed) {
  lmkit::text::BytesTokenizer tokenizer;
  std::vector<std::uint32_t> ids = {65, 300};
  try {
    tokenizer.decode(ids);
    FAIL();
  } catch (const lmkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("token id 300 at position 1"), std::string::npos) << e.what();
  }
}

TEST(LoadTokenizer, UnknownSpecIsAUsageError) {
  EXPECT_THROW(lmkit::text::load_tokenizer("no-such-tokenizer"), lmkit::UsageError);
  // A bare word that names nothing has its own type (the index builder records such a name as given)...
  EXPECT_THROW(lmkit::text::load_tokenizer("no-such-tokenizer"), lmkit::text::UnknownTokenizer);
  // ...which a missing path is not.
  try {
    lmkit::text::load_tokenizer("no/such/tokenizer.json");
    FAIL();
  } catch (const lmkit::text::UnknownTokenizer&) {
    FAIL() << "a missing path is not an unknown name";
  } catch (const lmkit::Error&) {
  }
}
