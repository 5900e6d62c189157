// `lmkit index build | info | verify`: ∞-gram indexes in Infini-gram's shard layout.
#include <fmt/format.h>

#include <memory>

#include "lmkit/api/index.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/cli/index_query.hpp"
#include "lmkit/index/index.hpp"
#include "lmkit/index/verify.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::cli {

namespace {

struct BuildCliOptions {
  CorpusCliOptions corpus;
  std::string tokenizer_spec;
  std::string out;
  std::uint64_t max_shard_tokens = 0;
  double mem_gib = 0;
  int token_width = 0;
  bool no_metadata = false;
  bool json = false;
};

void run_build(const BuildCliOptions& o) {
  api::BuildIndexOptions options;
  options.out = o.out;
  options.tokenizer = o.tokenizer_spec;
  options.max_shard_tokens = o.max_shard_tokens;
  options.mem_gib = o.mem_gib;
  options.token_width = o.token_width;
  options.metadata = !o.no_metadata;
  const api::BuildIndexResult result = api::build_index(o.corpus.paths, o.corpus.reader_options(), options);
  report_skipped(result.skipped, result.skipped_examples);
  if (o.json) return fmt::print("{}\n", json_text(result.to_json()));
  const auto& summary = result.summary;
  fmt::print(
      "built {}: {} tokens in {} documents, {} shard(s), {}-byte tokens, in {:.1f} s "
      "(suffix sorting {:.1f} s)\n",
      summary.path, summary.tokens(), summary.documents(), summary.shards.size(), summary.token_width,
      result.seconds, result.sort_seconds);
}

void run_info(const std::string& dir, bool json) {
  index::Index index = index::Index::open(dir);
  Json out = {{"path", dir},
              {"manifest", index.has_manifest()},
              {"tokenizer", index.tokenizer_spec()},
              {"token_width", index.token_width()},
              {"tokens", index.n_tokens()},
              {"documents", index.n_documents()},
              {"shards", Json::array()}};
  if (index.eos_token_id()) out["eos_token_id"] = *index.eos_token_id();
  for (const auto& shard : index.shards())
    out["shards"].push_back({{"id", shard.name()},
                             {"tokens", shard.n_tokens()},
                             {"documents", shard.n_documents()},
                             {"pointer_width", shard.pointer_width()},
                             {"tokenized_bytes", shard.tokenized_bytes()},
                             {"metadata", shard.has_metadata()}});
  if (json) {
    fmt::print("{}\n", json_text(out));
    return;
  }
  fmt::print("index {} ({})\n", dir,
             index.has_manifest() ? "lmkit manifest" : "no manifest: an Infini-gram index, widths inferred");
  fmt::print("tokenizer: {}\ntoken width: {} bytes\ntokens: {}\ndocuments: {}\n",
             index.tokenizer_spec().empty() ? "(unknown)" : index.tokenizer_spec(), index.token_width(),
             index.n_tokens(), index.n_documents());
  for (const auto& shard : index.shards())
    fmt::print("  shard {}: {} tokens, {} documents, {}-byte pointers{}\n", shard.name(), shard.n_tokens(),
               shard.n_documents(), shard.pointer_width(), shard.has_metadata() ? ", metadata" : "");
}

void run_verify(const std::string& dir, std::uint64_t sample, bool json) {
  index::VerifyOptions options;
  options.sample = sample;
  index::VerifyReport report = index::verify_index(dir, options);
  if (json) {
    fmt::print("{}\n", Json({{"path", dir},
                             {"ok", report.ok()},
                             {"problems", report.problems},
                             {"shards", report.shards},
                             {"files_checksummed", report.files_checksummed},
                             {"pairs_checked", report.pairs_checked},
                             {"full", report.full}})
                           .dump());
  } else {
    for (const auto& problem : report.problems) fmt::print("CORRUPT: {}\n", problem);
    fmt::print("{}: {} shard(s), {} files checksummed, {} adjacent suffix pairs checked{}: {}\n", dir,
               report.shards, report.files_checksummed, report.pairs_checked,
               report.full ? " (all)" : " (sample)",
               report.ok() ? "OK" : fmt::format("{} problem(s)", report.problems.size()));
  }
  if (!report.ok()) fail("{}: the index is corrupt ({} problem(s))", dir, report.problems.size());
}

const bool registered = register_command("index", [](CLI::App& app) {
  auto* index = app.add_subcommand("index", "Build, describe and verify ∞-gram (suffix-array) indexes");
  index->require_subcommand(1);

  auto build = std::make_shared<BuildCliOptions>();
  auto* b = index->add_subcommand("build",
                                  "Index a corpus: Infini-gram's shard layout plus an lmkit.json manifest");
  add_corpus_options(b, build->corpus);
  b->add_option("--tokenizer", build->tokenizer_spec, "bytes, gpt2, or a tokenizer file / directory")
      ->required();
  b->add_option("--out", build->out, "The index directory to create (must not exist)")->required();
  b->add_option("--max-shard-tokens", build->max_shard_tokens, "Token positions per shard (0: no limit)");
  b->add_option("--mem", build->mem_gib,
                "Memory budget in GiB for one shard (sizes the shards; 0: no limit)");
  b->add_option("--token-width", build->token_width,
                "Bytes per token: 1, 2 or 4 (0: from the vocabulary size)")
      ->check(CLI::IsMember({0, 1, 2, 4}));
  b->add_flag("--no-metadata", build->no_metadata, "Do not write metadata.S / metaoff.S");
  b->add_flag("--json", build->json, "Print one JSON document");
  b->callback([build] { run_build(*build); });

  auto info_dir = std::make_shared<std::string>();
  auto info_json = std::make_shared<bool>(false);
  auto* i = index->add_subcommand("info", "Describe an index (lmkit's, or one built by Infini-gram)");
  i->add_option("dir", *info_dir, "Index directory")->required();
  i->add_flag("--json", *info_json, "Print one JSON document");
  i->callback([info_dir, info_json] { run_info(*info_dir, *info_json); });

  auto verify_dir = std::make_shared<std::string>();
  auto verify_sample = std::make_shared<std::uint64_t>(0);
  auto verify_json = std::make_shared<bool>(false);
  auto* v = index->add_subcommand("verify", "Check an index's checksums, structure and suffix order");
  v->add_option("dir", *verify_dir, "Index directory")->required();
  v->add_option("--sample", *verify_sample,
                "Check this many random adjacent suffix pairs per shard (0: all)");
  v->add_flag("--json", *verify_json, "Print one JSON document");
  v->callback(
      [verify_dir, verify_sample, verify_json] { run_verify(*verify_dir, *verify_sample, *verify_json); });
});

}  // namespace

}  // namespace lmkit::cli
