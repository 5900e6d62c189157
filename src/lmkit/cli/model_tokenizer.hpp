// Which tokenizer a model directory uses: the directory itself when it carries its tokenizer's files
// (lmkit train copies them in), so a model works wherever it is moved; else the spec its config.json
// records (a model made elsewhere, or trained with the bytes tokenizer).
#pragma once

#include <string>

#include "lmkit/text/tokenizer_files.hpp"

namespace lmkit::cli {

inline std::string model_tokenizer_spec(const std::string& model_dir, const std::string& recorded_spec) {
  return text::directory_has_tokenizer(model_dir) ? model_dir : recorded_spec;
}

}  // namespace lmkit::cli
