// What the ∞-gram query commands (query, count, prob, ntd, infgram, search) share: the index and
// tokenizer options, the query given as text or ids, and printing answers of the JSON service
// (api::Index::query) for people.
#pragma once

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lmkit/api/index.hpp"

namespace lmkit::cli {

struct IndexQueryOptions {
  api::IndexOptions index;
  std::string text;                // the query as text (positional)
  std::vector<std::uint32_t> ids;  // or as token ids (--ids 1,2,3)
  bool json = false;

  void add_index(CLI::App* sub) {
    sub->add_option("--index", index.dirs,
                    "Index directory (Infini-gram layout); repeat to query several as one")
        ->required()
        ->allow_extra_args(false);
    sub->add_option("--tokenizer", index.tokenizer, "Tokenizer spec, overriding the index manifest's");
    sub->add_option("--eos", index.eos_token_id, "EOS token id, overriding the index manifest's");
  }
  void add_query(CLI::App* sub, const std::string& what) {
    sub->add_option("text", text, what + " as text (tokenized with the index's tokenizer)");
    sub->add_option("--ids", ids, what + " as token ids (comma-separated)")->delimiter(',');
    sub->add_flag("--json", json, "Print the JSON response of `lmkit query`");
  }
  std::shared_ptr<const api::Index> open() const { return api::Index::open(index); }
  // The request for `query_type` with this query, `extra` fields merged in.
  Json request(const std::string& query_type, Json extra = Json::object()) const {
    Json r = {{"query_type", query_type}};
    if (!ids.empty()) {
      r["query_ids"] = ids;
    } else {
      r["query"] = text;
    }
    r.update(extra);
    return r;
  }
};

inline std::string show_ids(const api::Index& idx, const Json& ids) {
  return idx.show_tokens(ids.get<std::vector<std::uint32_t>>());
}

inline std::string show_prob(const Json& r) {
  if (r["prob"].is_null()) return fmt::format("undefined (the prompt never occurs)");
  return fmt::format("{}/{} = {:.6g}", r["cont_cnt"].get<std::uint64_t>(),
                     r["prompt_cnt"].get<std::uint64_t>(), r["prob"].get<double>());
}

// A next-token distribution for people, most frequent first (built whole, then printed: an error
// never leaves half of it on stdout).
inline std::string format_ntd(const api::Index& idx, const Json& r, std::size_t top) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> rows;
  for (const auto& [id, e] : r["result_by_token_id"].items())
    rows.emplace_back(e["cont_cnt"].get<std::uint64_t>(), static_cast<std::uint32_t>(std::stoul(id)));
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out =
      fmt::format("prompt_cnt {}{}, {} distinct next tokens\n", r["prompt_cnt"].get<std::uint64_t>(),
                  r["approx"].get<bool>() ? " (counts estimated by sampling)" : "", rows.size());
  for (std::size_t i = 0; i < rows.size() && i < top; ++i)
    out += fmt::format("{:>12} {:>10.6f}  {}\n", rows[i].first,
                       static_cast<double>(rows[i].first) / r["prompt_cnt"].get<double>(),
                       idx.show_token(rows[i].second));
  return out;
}

}  // namespace lmkit::cli
