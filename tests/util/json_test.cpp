#include "lmkit/util/json.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/errors.hpp"

namespace fs = std::filesystem;

using lmkit::testing::error_of;

TEST(Json, RoundTripsThroughAFile) {
  fs::path path = fs::temp_directory_path() / ("lmkit-json-" + std::to_string(::getpid()) + ".json");
  lmkit::Json value = {{"n_layer", 2}, {"name", "tiny"}};
  lmkit::write_json_file(path.string(), value);
  EXPECT_EQ(lmkit::read_json_file(path.string()), value);
  fs::remove(path);
}

TEST(Json, SyntaxErrorNamesSourceAndOffset) {
  std::string message = error_of([] { lmkit::parse_json("{\"a\": 1,, }", "request"); });
  EXPECT_NE(message.find("request: invalid JSON at byte 9"), std::string::npos) << message;
}

TEST(Json, NumbersBeyondADoubleAreAnErrorNotACrash) {
  // The safetensors fuzzer found this: nlohmann throws out_of_range, not parse_error, for it.
  std::string message = error_of([] { lmkit::parse_json("{\"a\": 1e999}", "header"); });
  EXPECT_NE(message.find("header: invalid JSON"), std::string::npos) << message;
}

TEST(Json, FieldErrorsSayMissingOrMistyped) {
  lmkit::Json config = {{"n_layer", "two"}};
  EXPECT_NE(error_of([&] {
              lmkit::json_get<int>(config, "n_head", "config.json");
            }).find("config.json: missing field \"n_head\""),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              lmkit::json_get<int>(config, "n_layer", "config.json");
            }).find("field \"n_layer\" has the wrong type (string)"),
            std::string::npos);
  EXPECT_EQ(lmkit::json_get_or<int>(config, "n_head", 12, "config.json"), 12);
}
