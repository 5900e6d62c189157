// `lmkit demo`: lmkit's main job. For now it prepares the KJV demo corpus (if needed) and prints
// its summary; later issues grow it into the full experiment.
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "lmkit/cli/command.hpp"
#include "lmkit/text/kjv.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::cli {

namespace {

struct DemoOptions {
  std::string data_dir = "data/kjv";
  bool force = false;
  bool json = false;
};

void print_summary(const std::vector<text::KjvSplitSummary>& splits, bool json) {
  if (json) {
    Json out = {{"corpus", "kjv"}, {"splits", Json::array()}};
    for (const auto& s : splits)
      out["splits"].push_back({{"name", s.name},
                               {"path", s.path},
                               {"documents", s.documents},
                               {"lines", s.lines},
                               {"bytes", s.bytes}});
    fmt::print("{}\n", out.dump());
    return;
  }
  fmt::print("KJV demo corpus (one document per chapter)\n");
  fmt::print("{:<12} {:>10} {:>10} {:>12}  {}\n", "split", "documents", "lines", "bytes", "file");
  std::uint64_t documents = 0, lines = 0, bytes = 0;
  for (const auto& s : splits) {
    fmt::print("{:<12} {:>10} {:>10} {:>12}  {}\n", s.name, s.documents, s.lines, s.bytes, s.path);
    documents += s.documents;
    lines += s.lines;
    bytes += s.bytes;
  }
  fmt::print("{:<12} {:>10} {:>10} {:>12}\n", "total", documents, lines, bytes);
}

const bool registered = register_command("demo", [](CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  auto* sub = app.add_subcommand("demo", "lmkit's main job: prepare the KJV demo corpus and summarize it");
  sub->add_option("--data-dir", options->data_dir, "Where the KJV splits live")->capture_default_str();
  sub->add_flag("--force", options->force, "Regenerate the data even if it exists");
  sub->add_flag("--json", options->json, "Print one JSON document");
  sub->callback([options] {
    if (!ProgressBar::quiet() && !options->json)
      fmt::print(stderr, "Preparing the KJV corpus in {} (if needed)\n", options->data_dir);
    print_summary(text::prepare_kjv(options->data_dir, options->force), options->json);
  });
});

}  // namespace

}  // namespace lmkit::cli
