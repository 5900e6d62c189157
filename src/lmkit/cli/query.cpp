// `lmkit query`: the machine front-end of the ∞-gram engine. One JSON request per line on stdin,
// one JSON response per line on stdout (docs/query-api.md); a bad request gets {"error": ...} and
// the next line is served. A reply that cannot be written ends the command with exit 1.
#include <cstdio>
#include <memory>

#include "lmkit/cli/command.hpp"
#include "lmkit/cli/index_query.hpp"

namespace lmkit::cli {

namespace {

const bool registered = register_command("query", [](CLI::App& app) {
  auto options = std::make_shared<IndexQueryOptions>();
  auto* sub = app.add_subcommand("query", "Answer JSON query requests (one per line on stdin) over an index");
  options->add_index(sub);
  sub->add_option("--max-request-bytes", options->index.limits.max_request_bytes,
                  "Longest request line; longer ones get an error reply")
      ->capture_default_str();
  sub->add_option("--max-query-tokens", options->index.limits.max_query_tokens, "Most tokens in a query")
      ->capture_default_str();
  sub->callback([options] { options->open()->service().serve(stdin, stdout); });
});

}  // namespace

}  // namespace lmkit::cli
