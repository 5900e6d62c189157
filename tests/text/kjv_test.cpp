#include "lmkit/text/kjv.hpp"

#include <gtest/gtest.h>

#include <map>

TEST(Kjv, ParsesHeadersVersesAndWrappedLines) {
  // The shape `bible` prints: blank-line-separated headers, indented verse numbers, wrapped lines.
  const std::string text =
      "\nGenesis 1\n\n  1 In the beginning God created the heaven and the earth.\n"
      "  2 And the earth was without form, and void; and darkness was upon the face of\n"
      "the deep.\n\nSong of Solomon 8\n\n  14 Make haste, my beloved.\n\nMatthew 1\n\n"
      "  1 The book of the generation of Jesus Christ,\nthe son of David.\n";
  auto chapters = lmkit::text::parse_kjv(text);
  ASSERT_EQ(chapters.size(), 3u);
  EXPECT_EQ(chapters[0].book, "Genesis");
  EXPECT_EQ(chapters[0].chapter, 1);
  ASSERT_EQ(chapters[0].verses.size(), 2u);
  EXPECT_EQ(chapters[0].verses[1],
            "And the earth was without form, and void; and darkness was upon the face of the deep.");
  EXPECT_EQ(chapters[1].book, "Song of Solomon");
  EXPECT_EQ(chapters[1].chapter, 8);
  EXPECT_EQ(chapters[1].testament, "OT");
  EXPECT_EQ(chapters[2].testament, "NT");
  EXPECT_EQ(chapters[2].verses[0], "The book of the generation of Jesus Christ, the son of David.");
}

TEST(Kjv, TextBeforeAnyHeaderIsAnError) {
  EXPECT_THROW(lmkit::text::parse_kjv("stray words\n"), lmkit::Error);
}

TEST(Kjv, SplitsAreNinetyFiveFiveAndFixed) {
  std::map<std::string, int> counts;
  for (std::size_t i = 0; i < 1189; ++i) counts[lmkit::text::kjv_split_of(i)]++;
  EXPECT_EQ(counts["validation"], 59);
  EXPECT_EQ(counts["test"], 59);
  EXPECT_EQ(counts["train"], 1071);
  EXPECT_EQ(lmkit::text::kjv_split_of(0), "train");
  EXPECT_EQ(lmkit::text::kjv_split_of(10), "validation");
  EXPECT_EQ(lmkit::text::kjv_split_of(19), "test");
}
