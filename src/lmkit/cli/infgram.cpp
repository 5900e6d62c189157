// `lmkit infgram prob|ntd|score`: the ∞-gram LM. prob and ntd back off to the longest suffix of the
// prompt that occurs in the index; score gives P∞ of every token of a document given all tokens
// before it, in O(log N) per token (Engine::score).
#include <chrono>
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/cli/index_query.hpp"
#include "lmkit/text/corpus.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::cli {

namespace {

struct ScoreOptions {
  CorpusCliOptions corpus;  // --data (alias --file): the documents to score
  bool per_token = false;
};

// The documents to score, as token ids: --ids, the text, or every document of --data (read as every
// corpus is: .gz / .zst decompressed, '-' for stdin, .jsonl a "text" field per line).
std::vector<std::vector<std::uint32_t>> documents_to_score(const IndexQueryOptions& o, const ScoreOptions& s,
                                                           const api::Index& idx) {
  if (!o.ids.empty()) return {o.ids};
  if (s.corpus.paths.empty()) return {idx.tokenize(o.text)};
  std::vector<std::vector<std::uint32_t>> docs;
  text::CorpusReader reader(s.corpus.paths, s.corpus.reader_options());
  for (text::Document doc; reader.next(doc);) docs.push_back(idx.tokenize(doc.text));
  report_skipped(reader);
  return docs;
}

void score_command(const IndexQueryOptions& o, const ScoreOptions& s) {
  const auto idx = o.open();
  const auto docs = documents_to_score(o, s, *idx);
  Json out = {{"documents", Json::array()}};
  std::uint64_t tokens = 0, zero = 0;
  double log2_sum = 0, seconds = 0;
  for (const auto& doc : docs) {
    const auto start = std::chrono::steady_clock::now();
    const auto scores = idx->score(doc);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::uint64_t doc_zero = 0;
    double doc_log2 = 0;
    Json per_token = Json::array();
    for (std::size_t i = 0; i < scores.size(); ++i) {
      const auto& t = scores[i];
      if (t.prob > 0) {
        doc_log2 += std::log2(t.prob);
      } else {
        ++doc_zero;
      }
      if (s.per_token)
        per_token.push_back({{"token_id", doc[i]},
                             {"prob", t.prob},
                             {"suffix_len", t.suffix_len},
                             {"prompt_cnt", t.prompt_cnt},
                             {"cont_cnt", t.cont_cnt}});
    }
    Json d = {{"tokens", doc.size()}, {"zero_prob_tokens", doc_zero}, {"log2_prob_sum_nonzero", doc_log2}};
    if (s.per_token) d["scores"] = per_token;
    out["documents"].push_back(d);
    tokens += doc.size();
    zero += doc_zero;
    log2_sum += doc_log2;
  }
  out["tokens"] = tokens;
  out["zero_prob_tokens"] = zero;
  out["log2_prob_sum_nonzero"] = log2_sum;
  out["tokens_per_second"] = seconds > 0 ? static_cast<double>(tokens) / seconds : 0.0;
  if (o.json) return fmt::print("{}\n", json_text(out));
  if (s.per_token) {
    for (std::size_t d = 0; d < docs.size(); ++d) {
      fmt::print("document {}\n{:>10} {:>12} {:>10} {:>12}  token\n", d, "prob", "cont/prompt", "suffix_len",
                 "");
      const auto& scores = out["documents"][d]["scores"];
      for (std::size_t i = 0; i < scores.size(); ++i)
        fmt::print("{:>10.6f} {:>12} {:>10}  {}\n", scores[i]["prob"].get<double>(),
                   fmt::format("{}/{}", scores[i]["cont_cnt"].get<std::uint64_t>(),
                               scores[i]["prompt_cnt"].get<std::uint64_t>()),
                   scores[i]["suffix_len"].get<std::size_t>(), idx->show_token(docs[d][i]));
    }
  }
  const std::uint64_t nonzero = tokens - zero;
  fmt::print(
      "{} documents, {} tokens, {} with P∞ = 0; over the others mean log2 P∞ = {:.4f} (perplexity {:.3f}); "
      "{:.0f} tokens/s\n",
      docs.size(), tokens, zero, nonzero ? log2_sum / static_cast<double>(nonzero) : 0.0,
      nonzero ? std::exp2(-log2_sum / static_cast<double>(nonzero)) : 0.0,
      out["tokens_per_second"].get<double>());
}

const bool registered = register_command("infgram", [](CLI::App& app) {
  auto* infgram = app.add_subcommand("infgram", "The ∞-gram LM: prob, ntd and document scoring");
  infgram->require_subcommand(1);
  {
    auto o = std::make_shared<IndexQueryOptions>();
    auto* sub = infgram->add_subcommand("prob", "P∞ of a sequence's last token given the rest");
    o->add_index(sub);
    o->add_query(sub, "The prompt and continuation (its last token)");
    sub->callback([o] {
      const auto idx = o->open();
      const auto r = idx->query(o->request("infgram_prob"));
      if (o->json) return fmt::print("{}\n", json_text(r));
      fmt::print("P∞({} | {}) = {}  (suffix_len {})\n", idx->show_token(r["cont_id"].get<std::uint32_t>()),
                 show_ids(*idx, r["token_ids"]), show_prob(r), r["suffix_len"].get<std::size_t>());
    });
  }
  {
    auto o = std::make_shared<IndexQueryOptions>();
    auto max_support = std::make_shared<std::uint64_t>(1000);
    auto top = std::make_shared<std::size_t>(20);
    auto* sub = infgram->add_subcommand("ntd", "∞-gram next-token distribution of a prompt");
    o->add_index(sub);
    o->add_query(sub, "The prompt");
    sub->add_option("--max-support", *max_support, "Sample when the suffix occurs more often")
        ->capture_default_str();
    sub->add_option("--top", *top, "Tokens to print")->capture_default_str();
    sub->callback([o, max_support, top] {
      const auto idx = o->open();
      const auto r = idx->query(o->request("infgram_ntd", {{"max_support", *max_support}}));
      if (o->json) return fmt::print("{}\n", json_text(r));
      fmt::print("suffix_len {}\n{}", r["suffix_len"].get<std::size_t>(), format_ntd(*idx, r, *top));
    });
  }
  {
    auto o = std::make_shared<IndexQueryOptions>();
    auto s = std::make_shared<ScoreOptions>();
    auto* sub =
        infgram->add_subcommand("score", "P∞ of every token of a document given the tokens before it");
    o->add_index(sub);
    o->add_query(sub, "The document");
    add_corpus_options(sub, s->corpus,
                       {.required = false,
                        .data_help = "Score these files' documents instead ('-': stdin; .gz / .zst "
                                     "decompressed): plain text (one document per file, or per line with "
                                     "--lines) or .jsonl (\"text\" per line)",
                        .aliases = "--file,--corpus"});
    sub->add_flag("--per-token", s->per_token, "Print every token's P∞, counts and suffix_len");
    sub->callback([o, s] { score_command(*o, *s); });
  }
});

}  // namespace

}  // namespace lmkit::cli
