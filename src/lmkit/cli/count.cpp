// The human front-ends of n-gram queries: `lmkit count`, `lmkit prob`, `lmkit ntd`, `lmkit search`.
// Each builds the request `lmkit query` would get and prints its answer for people (or, with
// --json, the response itself).
#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "lmkit/cli/command.hpp"
#include "lmkit/cli/index_query.hpp"

namespace lmkit::cli {

namespace {

std::string format_doc(const api::Index& idx, const Json& d) {
  std::string out = fmt::format(
      "document {} ({} tokens){}\n", d["doc_ix"].get<std::uint64_t>(), d["doc_len"].get<std::uint64_t>(),
      d["metadata"].get<std::string>().empty() ? "" : " " + d["metadata"].get<std::string>());
  if (d.contains("text") && d["text"].is_string()) {
    out += fmt::format("  {}\n", d["text"].get<std::string>());
  } else {
    out += fmt::format("  {}\n", show_ids(idx, d["token_ids"]));
  }
  return out;
}

struct NtdFlags {
  std::uint64_t max_support = 1000;
  bool exact = false;
  std::size_t top = 20;
};

const bool registered = register_command("count", [](CLI::App& app) {
  {
    auto o = std::make_shared<IndexQueryOptions>();
    auto* sub = app.add_subcommand("count", "Count the occurrences of a token sequence in an index");
    o->add_index(sub);
    o->add_query(sub, "The sequence");
    sub->callback([o] {
      const auto idx = o->open();
      const auto r = idx->query(o->request("count"));
      if (o->json) return fmt::print("{}\n", json_text(r));
      fmt::print("{} occurrences of {} ({} tokens)\n", r["count"].get<std::uint64_t>(),
                 show_ids(*idx, r["token_ids"]), r["token_ids"].size());
    });
  }
  {
    auto o = std::make_shared<IndexQueryOptions>();
    auto* sub = app.add_subcommand("prob", "n-gram probability of a sequence's last token given the rest");
    o->add_index(sub);
    o->add_query(sub, "The prompt and continuation (its last token)");
    sub->callback([o] {
      const auto idx = o->open();
      const auto r = idx->query(o->request("prob"));
      if (o->json) return fmt::print("{}\n", json_text(r));
      fmt::print("P({} | {}) = {}\n", idx->show_token(r["cont_id"].get<std::uint32_t>()),
                 show_ids(*idx, r["token_ids"]), show_prob(r));
    });
  }
  {
    auto o = std::make_shared<IndexQueryOptions>();
    auto flags = std::make_shared<NtdFlags>();
    auto* sub = app.add_subcommand("ntd", "Next-token distribution of a prompt");
    o->add_index(sub);
    o->add_query(sub, "The prompt");
    sub->add_option("--max-support", flags->max_support, "Sample when the prompt occurs more often")
        ->capture_default_str();
    sub->add_flag("--exact", flags->exact, "Always count every occurrence");
    sub->add_option("--top", flags->top, "Tokens to print")->capture_default_str();
    sub->callback([o, flags] {
      const auto idx = o->open();
      const auto r =
          idx->query(o->request("ntd", {{"max_support", flags->max_support}, {"exact", flags->exact}}));
      if (o->json) return fmt::print("{}\n", json_text(r));
      fmt::print("{}", format_ntd(*idx, r, flags->top));
    });
  }
  {
    auto o = std::make_shared<IndexQueryOptions>();
    auto maxnum = std::make_shared<std::size_t>(5);
    auto max_disp_len = std::make_shared<std::uint64_t>(40);
    auto* sub = app.add_subcommand("search", "Show documents where a sequence occurs");
    o->add_index(sub);
    o->add_query(sub, "The sequence");
    sub->add_option("--maxnum", *maxnum, "Documents to show (evenly spaced over all matches)")
        ->capture_default_str();
    sub->add_option("--max-disp-len", *max_disp_len, "Tokens of each document to show")
        ->capture_default_str();
    sub->callback([o, maxnum, max_disp_len] {
      const auto idx = o->open();
      const auto r =
          idx->query(o->request("search_docs", {{"maxnum", *maxnum}, {"max_disp_len", *max_disp_len}}));
      if (o->json) return fmt::print("{}\n", json_text(r));
      std::string out = fmt::format("{} occurrences of {}\n", r["cnt"].get<std::uint64_t>(),
                                    show_ids(*idx, r["token_ids"]));
      for (const auto& d : r["documents"]) out += format_doc(*idx, d);
      fmt::print("{}", out);
    });
  }
});

}  // namespace

}  // namespace lmkit::cli
