#include "lmkit/text/corpus.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "lmkit/text/utf8.hpp"
#include "lmkit/util/error.hpp"
#include "test_files.hpp"

namespace lmkit::text {
namespace {

using testing::TempDir;

std::vector<Document> read_all(const std::vector<std::string>& paths, CorpusOptions options = {}) {
  CorpusReader reader(paths, options);
  std::vector<Document> docs;
  Document doc;
  while (reader.next(doc)) docs.push_back(doc);
  return docs;
}

// The message of the Error that reading `paths` throws ("" when none is thrown).
std::string read_error(const std::vector<std::string>& paths, CorpusOptions options = {}) {
  try {
    read_all(paths, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Utf8, AcceptsWellFormedAndFindsTheFirstBadByte) {
  EXPECT_TRUE(is_valid_utf8("plain ascii text, long enough for the 8-byte path"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
  EXPECT_EQ(find_invalid_utf8("abc\xc3"), 3u);           // truncated sequence
  EXPECT_EQ(find_invalid_utf8("ab\xc0\xaf"), 2u);        // overlong '/'
  EXPECT_EQ(find_invalid_utf8("\xe0\x80\xaf"), 0u);      // overlong 3-byte
  EXPECT_EQ(find_invalid_utf8("x\xed\xa0\x80"), 1u);     // surrogate U+D800
  EXPECT_EQ(find_invalid_utf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("12345678\x80"), 8u);      // lone continuation byte
  EXPECT_EQ(find_invalid_utf8("\xe4\xb8\x41"), 0u);      // bad continuation
  EXPECT_EQ(find_invalid_utf8("\xff"), 0u);
}

TEST(Corpus, PlainFilesAreWholeDocumentsReadInSortedOrderRecursively) {
  TempDir dir;
  dir.write("b.txt", "second\nfile\n");
  dir.write("a.txt", "first file");
  dir.write("sub/c.txt", "third");
  dir.write("sub/empty.txt", "");
  dir.write(".hidden", "never read");
  dir.write(".git/objects/x", "never read");
  auto docs = read_all({dir.path()});
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].text, "first file");
  EXPECT_EQ(docs[0].source, dir.path("a.txt"));
  EXPECT_EQ(docs[0].line, 1u);
  EXPECT_EQ(docs[0].metadata, Json::object());
  EXPECT_EQ(docs[1].text, "second\nfile\n");
  EXPECT_EQ(docs[2].text, "third");
  EXPECT_EQ(docs[2].source, dir.path("sub/c.txt"));
}

TEST(Corpus, LinesModeSkipsBlankLinesAndStripsCarriageReturns) {
  TempDir dir;
  auto path = dir.write("lines.txt", "one\r\n\ntwo\n\n\nthree");
  auto docs = read_all({path}, {.lines = true});
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].text, "one");
  EXPECT_EQ(docs[0].line, 1u);
  EXPECT_EQ(docs[1].text, "two");
  EXPECT_EQ(docs[1].line, 3u);
  EXPECT_EQ(docs[2].text, "three");
  EXPECT_EQ(docs[2].line, 6u);
}

TEST(Corpus, ADocumentOverTheSizeLimitIsAnErrorNamingTheFileLineAndLimit) {
  TempDir dir;
  auto lines = dir.write("lines.txt", "short\nthis line is too long\nok\n");
  std::string message = read_error({lines}, {.lines = true, .max_document_bytes = 10});
  EXPECT_NE(message.find(lines + ":2:"), std::string::npos) << message;
  EXPECT_NE(message.find("max_document_bytes = 10 bytes"), std::string::npos) << message;
  // skip_bad does not read it whole to skip it: still an error.
  EXPECT_NE(read_error({lines}, {.lines = true, .skip_bad = true, .max_document_bytes = 10}), "");
  // At the limit is fine.
  EXPECT_EQ(read_all({lines}, {.lines = true, .max_document_bytes = 21}).size(), 3u);

  auto jsonl = dir.write("c.jsonl", "{\"text\": \"a\"}\n{\"text\": \"a much longer document\"}\n");
  message = read_error({jsonl}, {.max_document_bytes = 20});
  EXPECT_NE(message.find(jsonl + ":2:"), std::string::npos) << message;

  auto whole = dir.write("whole.txt", std::string(100, 'x'));
  message = read_error({whole}, {.max_document_bytes = 99});
  EXPECT_NE(message.find(whole + ":1:"), std::string::npos) << message;
  EXPECT_EQ(read_all({whole}, {.max_document_bytes = 100}).size(), 1u);
}

TEST(Corpus, AnEndlessInputStopsAtTheLimitInsteadOfFillingTheMemory) {
  for (bool lines : {false, true}) {
    std::string message = read_error({"/dev/zero"}, {.lines = lines, .max_document_bytes = 1 << 20});
    EXPECT_NE(message.find("/dev/zero:1:"), std::string::npos) << message;
    EXPECT_NE(message.find("max_document_bytes = 1048576 bytes"), std::string::npos) << message;
  }
  EXPECT_EQ(CorpusOptions{}.max_document_bytes, std::uint64_t{64} << 20);
}

TEST(Corpus, JsonlKeepsOtherFieldsAsMetadata) {
  TempDir dir;
  auto path = dir.write("docs.jsonl",
                        "{\"text\": \"In the beginning\", \"book\": \"Genesis\", \"chapter\": 1}\n"
                        "\n"
                        "{\"id\": 7, \"text\": \"caf\\u00e9 \\n line\"}\n");
  auto docs = read_all({path});
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].text, "In the beginning");
  EXPECT_EQ(docs[0].metadata, Json({{"book", "Genesis"}, {"chapter", 1}}));
  EXPECT_EQ(docs[0].line, 1u);
  EXPECT_EQ(docs[1].text, "caf\xc3\xa9 \n line");
  EXPECT_EQ(docs[1].metadata, Json({{"id", 7}}));
  EXPECT_EQ(docs[1].line, 3u);
}

TEST(Corpus, TextFieldAndFormatCanBeChosen) {
  TempDir dir;
  auto path = dir.write("data.txt", "{\"content\": \"abc\"}\n");
  auto docs = read_all({path}, {.format = CorpusFormat::jsonl, .text_field = "content"});
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].text, "abc");
  // The same file read by name is one plain-text document.
  docs = read_all({path});
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].text, "{\"content\": \"abc\"}\n");
}

TEST(Corpus, GzipAndZstdDecompressToTheSameDocuments) {
  TempDir dir;
  std::string part1, part2;
  for (int i = 0; i < 3000; ++i)
    part1 += fmt::format("{{\"text\": \"document number {}\", \"i\": {}}}\n", i, i);
  for (int i = 3000; i < 5000; ++i)
    part2 += fmt::format("{{\"text\": \"document number {}\", \"i\": {}}}\n", i, i);
  auto plain = read_all({dir.write("plain.jsonl", part1 + part2)});
  // Several gzip members and several zstd frames, as concatenating compressed files gives.
  auto from_gzip = read_all({dir.write("docs.jsonl.gz", testing::gzip(part1) + testing::gzip(part2))});
  auto from_zstd = read_all({dir.write("docs.jsonl.zst", testing::zstd(part1) + testing::zstd(part2))});
  ASSERT_EQ(plain.size(), 5000u);
  ASSERT_EQ(from_gzip.size(), plain.size());
  ASSERT_EQ(from_zstd.size(), plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(from_gzip[i].text, plain[i].text);
    EXPECT_EQ(from_zstd[i].text, plain[i].text);
    EXPECT_EQ(from_zstd[i].metadata, plain[i].metadata);
    EXPECT_EQ(from_gzip[i].line, plain[i].line);
  }
  EXPECT_EQ(plain[4999].text, "document number 4999");
  EXPECT_EQ(plain[4999].metadata["i"], 4999);
}

TEST(Corpus, LongLinesSpanningReadChunksComeBackWhole) {
  TempDir dir;
  std::string long_line(700'000, 'x');  // longer than the reader's 256 KiB chunks
  long_line[123'456] = 'y';
  auto docs =
      read_all({dir.write("long.txt.gz", testing::gzip("short\n" + long_line + "\nend\n"))}, {.lines = true});
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[1].text, long_line);
  EXPECT_EQ(docs[2].text, "end");
  EXPECT_EQ(docs[2].line, 3u);
}

TEST(Corpus, BadInputStopsWithFileAndLine) {
  TempDir dir;
  auto path = dir.write("bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"ok\"}\n{\"text\": oops}\n");
  auto message = read_error({path});
  EXPECT_NE(message.find(path + ":3: invalid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("the corpus option skip_bad"), std::string::npos) << message;

  path = dir.write("missing.jsonl", "{\"body\": \"x\"}\n");
  message = read_error({path});
  EXPECT_NE(message.find(path + ":1: missing field \"text\""), std::string::npos) << message;

  path = dir.write("number.jsonl", "\n{\"text\": 5}\n");
  message = read_error({path});
  EXPECT_NE(message.find(path + ":2: field \"text\" is number, not a string"), std::string::npos) << message;

  path = dir.write("array.jsonl", "[1, 2]\n");
  message = read_error({path});
  EXPECT_NE(message.find(path + ":1: expected a JSON object, found array"), std::string::npos) << message;

  path = dir.write("latin1.txt", "fine\nalso fine\ncaf\xe9\n");
  message = read_error({path}, {.lines = true});
  EXPECT_NE(message.find(path + ":3: invalid UTF-8 (byte 0xe9 at offset 3"), std::string::npos) << message;
  // A whole-file document names the line of the bad byte.
  message = read_error({path});
  EXPECT_NE(message.find(path + ":3: invalid UTF-8 (byte 0xe9 at offset 18"), std::string::npos) << message;
  // The library names its option, not a front-end's spelling of it (the CLI's --skip-bad).
  EXPECT_NE(message.find("the corpus option skip_bad skips bad documents"), std::string::npos) << message;
  EXPECT_EQ(message.find("--"), std::string::npos) << message;

  message = read_error({dir.path("nothing-here.txt")});
  EXPECT_NE(message.find("nothing-here.txt: no such file or directory"), std::string::npos) << message;
}

// Found by the corpus fuzz target: nlohmann reports a number beyond a double's range as out_of_range,
// not parse_error, and that bare exception escaped the reader without the file and line.
TEST(Corpus, NumberTooLargeForADoubleIsAnInvalidJsonLine) {
  TempDir dir;
  const auto path = dir.write("big.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"x\", \"n\": 1e309}\n");
  const auto message = read_error({path});
  EXPECT_NE(message.find(path + ":2: invalid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("1e309"), std::string::npos) << message;
}

TEST(Corpus, SkipBadContinuesAndCounts) {
  TempDir dir;
  auto path =
      dir.write("mixed.jsonl",
                "{\"text\": \"one\"}\n{broken\n{\"other\": 1}\n{\"text\": \"two\"}\n\"just a string\"\n"
                "{\"text\": \"three\"}\n");
  CorpusReader reader({path}, {.skip_bad = true});
  std::vector<std::string> texts;
  Document doc;
  while (reader.next(doc)) texts.push_back(doc.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(reader.skipped(), 3u);
  EXPECT_EQ(reader.documents_read(), 3u);
  ASSERT_EQ(reader.skipped_examples().size(), 3u);
  EXPECT_EQ(reader.skipped_examples()[0].line, 2u);
  EXPECT_EQ(reader.skipped_examples()[1].line, 3u);
  EXPECT_EQ(reader.skipped_examples()[1].reason, "missing field \"text\"");
  EXPECT_EQ(reader.skipped_examples()[2].line, 5u);
}

TEST(Corpus, CorruptAndTruncatedCompressedDataAreErrors) {
  TempDir dir;
  std::string data;
  for (int i = 0; i < 2000; ++i) data += fmt::format("line {}\n", i);
  std::string gz = testing::gzip(data);
  auto path = dir.write("cut.txt.gz", gz.substr(0, gz.size() / 2));
  EXPECT_NE(read_error({path}, {.lines = true}).find("truncated gzip data"), std::string::npos);
  std::string zst = testing::zstd(data);
  path = dir.write("cut.txt.zst", zst.substr(0, zst.size() - 5));
  EXPECT_NE(read_error({path}, {.lines = true}).find("truncated zstd data"), std::string::npos);
  zst[zst.size() / 2] ^= 0x55;
  zst[zst.size() / 2 + 1] ^= 0x55;
  path = dir.write("corrupt.txt.zst", zst);
  EXPECT_NE(read_error({path}, {.lines = true}).find("corrupt zstd data"), std::string::npos);
}

TEST(Corpus, ReadsStdinAndCountsRawBytes) {
  TempDir dir;
  std::string data = "{\"text\": \"from stdin\"}\n{\"text\": \"again\"}\n";
  auto path = dir.write("stdin.gz", testing::gzip(data));
  int saved = dup(0);
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  dup2(fd, 0);
  close(fd);
  std::vector<Document> docs;
  std::uint64_t raw = 0;
  {
    CorpusReader reader({"-"}, {.format = CorpusFormat::jsonl});
    Document doc;
    while (reader.next(doc)) docs.push_back(doc);
    raw = reader.raw_bytes_read();
  }
  dup2(saved, 0);
  close(saved);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].source, "<stdin>");
  EXPECT_EQ(docs[1].text, "again");
  EXPECT_EQ(raw, testing::gzip(data).size());
}

TEST(Corpus, ProgressCountsMatchTheFilesOnDisk) {
  TempDir dir;
  dir.write("x/1.txt", "aaaa");
  dir.write("x/2.txt.gz", testing::gzip("bbbbbbbb"));
  CorpusReader reader({dir.path("x")});
  EXPECT_EQ(reader.files().size(), 2u);
  const std::uint64_t total = reader.total_raw_bytes();
  EXPECT_EQ(total, 4u + testing::gzip("bbbbbbbb").size());
  Document doc;
  while (reader.next(doc)) {
  }
  EXPECT_EQ(reader.raw_bytes_read(), total);
  EXPECT_EQ(reader.documents_read(), 2u);
}

}  // namespace
}  // namespace lmkit::text
