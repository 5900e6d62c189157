// What the ∞-gram query commands (query, count, prob, ntd, infgram, search) share: the index and
// tokenizer options, the query given as text or ids, and running a request through QueryService.
#pragma once

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lmkit/ngram/open.hpp"
#include "lmkit/ngram/query_api.hpp"

namespace lmkit::cli {

// Refuses a negative number for an unsigned option (CLI11 would wrap "-5" to 2^64 - 5).
inline const CLI::Validator non_negative(
    [](std::string& value) -> std::string {
      return value.find('-') == std::string::npos ? "" : "must not be negative, got " + value;
    },
    "NONNEGATIVE", "non_negative");

struct IndexQueryOptions {
  std::string index_dir;
  std::string tokenizer;  // overrides the manifest's
  std::optional<std::uint32_t> eos;
  std::string text;                // the query as text (positional)
  std::vector<std::uint32_t> ids;  // or as token ids (--ids 1,2,3)
  bool json = false;

  void add_index(CLI::App* sub) {
    sub->add_option("--index", index_dir, "Index directory (Infini-gram layout)")->required();
    sub->add_option("--tokenizer", tokenizer, "Tokenizer spec, overriding the index manifest's");
    sub->add_option("--eos", eos, "EOS token id, overriding the index manifest's")->check(non_negative);
  }
  void add_query(CLI::App* sub, const std::string& what) {
    sub->add_option("text", text, what + " as text (tokenized with the index's tokenizer)");
    sub->add_option("--ids", ids, what + " as token ids (comma-separated)")
        ->delimiter(',')
        ->check(non_negative);
    sub->add_flag("--json", json, "Print the JSON response of `lmkit query`");
  }
  std::unique_ptr<ngram::OpenedIndex> open() const { return ngram::open_index(index_dir, tokenizer, eos); }
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

// A token for display: the tokenizer's piece quoted (bytes that split a character as \xNN), or #id.
inline std::string show_token(const ngram::OpenedIndex& idx, std::uint32_t id) {
  if (idx.tokenizer && id < idx.tokenizer->vocab_size())
    return ngram::quote_token(idx.tokenizer->decode({&id, 1}));
  return "#" + std::to_string(id);
}

inline std::string show_ids(const ngram::OpenedIndex& idx, const Json& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : " ") + show_token(idx, id.get<std::uint32_t>());
  return out.empty() ? "(empty)" : out;
}

inline std::string show_prob(const Json& r) {
  if (r["prob"].is_null()) return fmt::format("undefined (the prompt never occurs)");
  return fmt::format("{}/{} = {:.6g}", r["cont_cnt"].get<std::uint64_t>(),
                     r["prompt_cnt"].get<std::uint64_t>(), r["prob"].get<double>());
}

// A next-token distribution for people, most frequent first (built whole, then printed: an error
// never leaves half of it on stdout).
inline std::string format_ntd(const ngram::OpenedIndex& idx, const Json& r, std::size_t top) {
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
                       show_token(idx, rows[i].second));
  return out;
}

}  // namespace lmkit::cli
