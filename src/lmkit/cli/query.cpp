// `lmkit query`: the machine front-end of the ∞-gram engine. One JSON request per line on stdin,
// one JSON response per line on stdout (docs/query-api.md); a bad request gets {"error": ...} and
// the next line is served.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "lmkit/cli/command.hpp"
#include "lmkit/cli/index_query.hpp"

namespace lmkit::cli {

namespace {

const bool registered = register_command("query", [](CLI::App& app) {
  auto options = std::make_shared<IndexQueryOptions>();
  auto* sub = app.add_subcommand("query", "Answer JSON query requests (one per line on stdin) over an index");
  options->add_index(sub);
  sub->callback([options] {
    const auto idx = options->open();
    const ngram::QueryService service(*idx->engine, idx->tokenizer.get());
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string response = service.answer_line(line);
      std::fwrite(response.data(), 1, response.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
  });
});

}  // namespace

}  // namespace lmkit::cli
