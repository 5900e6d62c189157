// `lmkit demo`: lmkit's main job, the Infini-gram paper's experiment on the King James Bible.
//
//   1. the KJV corpus in train / validation / test splits (one document per chapter);
//   2. a byte-level BPE tokenizer learned on the training split;
//   3. an ∞-gram index of the training split;
//   4. a small GPT trained on the training split;
//   5. the perplexity table on the test split — Katz and Kneser–Ney n-grams, the ∞-gram, the GPT and
//      the GPT + ∞-gram hybrid (λ tuned on the validation split) — with the relative improvement.
//
// Steps 2–5 run lmkit's own commands (printed, so each can be rerun by hand); a step whose output
// already exists in the work directory is skipped.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "lmkit/cli/command.hpp"
#include "lmkit/text/kjv.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"

extern char** environ;

namespace lmkit::cli {

namespace {

namespace fs = std::filesystem;

struct DemoOptions {
  std::string data_dir = "data/kjv";
  std::string work_dir = "data/demo";
  bool corpus_only = false;
  std::uint32_t vocab_size = 2048;
  std::uint64_t steps = 1000;
  std::uint64_t batch = 8;
  std::uint64_t ctx = 128;
  int order = 5;
  std::size_t max_docs = 0;
  bool force = false;
  bool json = false;
};

void print_corpus_summary(const std::vector<text::KjvSplitSummary>& splits) {
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

Json corpus_json(const std::vector<text::KjvSplitSummary>& splits) {
  Json out = {{"corpus", "kjv"}, {"splits", Json::array()}};
  for (const auto& s : splits)
    out["splits"].push_back({{"name", s.name},
                             {"path", s.path},
                             {"documents", s.documents},
                             {"lines", s.lines},
                             {"bytes", s.bytes}});
  return out;
}

// Runs this lmkit binary with `args`; returns its standard output when `capture`. Fails naming the
// command when it exits nonzero (its own error message is already on stderr).
std::string run_lmkit(const std::vector<std::string>& args, bool capture, bool quiet) {
  std::vector<std::string> argv = {"lmkit"};
  if (quiet) argv.push_back("--quiet");
  argv.insert(argv.end(), args.begin(), args.end());
  std::string shown = fmt::format("{}", fmt::join(argv, " "));
  if (!quiet) fmt::print(stderr, "$ {}\n", shown);
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);

  int pipe_fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (capture) {
    if (::pipe(pipe_fds) != 0) fail("cannot create a pipe for `{}`", shown);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  } else {
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);  // our stdout stays the table's
  }
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, c_argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) fail("cannot run `{}`: {}", shown, errno_message(rc));
  std::string output;
  if (capture) {
    ::close(pipe_fds[1]);
    char buffer[1 << 14];
    ssize_t n;
    while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0)
      output.append(buffer, static_cast<std::size_t>(n));
    ::close(pipe_fds[0]);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("demo step failed: `{}`", shown);
  return output;
}

std::string fmt_ppl(const Json& value) {
  return value.is_number() ? fmt::format("{:.2f}", value.get<double>()) : std::string("inf");
}

void print_results(const Json& eval) {
  fmt::print("\nPerplexity on the KJV test split ({} tokens)\n",
             eval["models"][0]["tokens"].get<std::uint64_t>());
  fmt::print("{:<22} {:>12} {:>10}\n", "model", "perplexity", "accuracy");
  for (const Json& row : eval["models"])
    fmt::print("{:<22} {:>12} {:>9.2f}%\n", row["model"].get<std::string>(), fmt_ppl(row["perplexity"]),
               100 * row["accuracy"].get<double>());
  for (const Json& row : eval["models"]) {
    if (row.contains("sparse_fraction"))
      fmt::print("∞-gram: sparse (one possible next token) at {:.1f}% of positions\n",
                 100 * row["sparse_fraction"].get<double>());
    if (row.contains("relative_improvement"))
      fmt::print(
          "GPT + ∞-gram: λ_sparse = {:.3f}, λ_dense = {:.3f}; relative improvement over the GPT, "
          "(PPL_gpt − PPL_hybrid) / (PPL_gpt − 1) = {:.1f}%\n",
          row["lambda_sparse"].get<double>(), row["lambda_dense"].get<double>(),
          100 * row["relative_improvement"].get<double>());
  }
}

void run(const DemoOptions& o) {
  const bool quiet = ProgressBar::quiet() || o.json;
  if (!quiet) fmt::print(stderr, "Preparing the KJV corpus in {} (if needed)\n", o.data_dir);
  auto splits = text::prepare_kjv(o.data_dir, o.force);
  if (o.corpus_only) {
    if (o.json) {
      fmt::print("{}\n", json_text(corpus_json(splits)));
    } else {
      print_corpus_summary(splits);
    }
    return;
  }
  if (!o.json) print_corpus_summary(splits);

  const std::string train = (fs::path(o.data_dir) / "train.jsonl").string();
  const std::string validation = (fs::path(o.data_dir) / "validation.jsonl").string();
  const std::string test = (fs::path(o.data_dir) / "test.jsonl").string();
  const fs::path work(o.work_dir);
  if (o.force) fs::remove_all(work);
  fs::create_directories(work);
  const std::string tokenizer_dir = (work / "tokenizer").string();
  const std::string tokenizer = (work / "tokenizer" / "tokenizer.json").string();
  const std::string index_dir = (work / "index").string();
  const std::string model_dir = (work / "model").string();

  if (!fs::exists(tokenizer))
    run_lmkit({"tokenizer", "train", "--corpus", train, "--vocab-size", std::to_string(o.vocab_size), "--out",
               tokenizer_dir},
              false, quiet);
  if (!fs::exists(fs::path(index_dir) / "lmkit.json"))
    run_lmkit({"index", "build", "--corpus", train, "--tokenizer", tokenizer, "--out", index_dir}, false,
              quiet);
  if (!fs::exists(fs::path(model_dir) / "model.safetensors"))
    run_lmkit({"train", "--data", train, "--val-data", validation, "--tokenizer", tokenizer, "--config",
               "tiny", "--out", model_dir, "--steps", std::to_string(o.steps), "--batch",
               std::to_string(o.batch), "--ctx", std::to_string(o.ctx)},
              false, quiet);
  std::vector<std::string> eval_args = {"eval",
                                        "--data",
                                        test,
                                        "--validation",
                                        validation,
                                        "--index",
                                        index_dir,
                                        "--model",
                                        model_dir,
                                        "--order",
                                        std::to_string(o.order),
                                        "--plot",
                                        (work / "agreement.svg").string(),
                                        "--json"};
  if (o.max_docs > 0) {
    eval_args.push_back("--max-docs");
    eval_args.push_back(std::to_string(o.max_docs));
  }
  Json eval = parse_json(run_lmkit(eval_args, true, quiet), "lmkit eval output");
  write_json_file((work / "results.json").string(), eval);
  if (o.json) {
    Json out = corpus_json(splits);
    out["eval"] = eval;
    fmt::print("{}\n", json_text(out));
    return;
  }
  print_results(eval);
  fmt::print("\nArtifacts in {}: tokenizer/, index/, model/ (loss.svg), agreement.svg, results.json\n",
             o.work_dir);
}

const bool registered = register_command("demo", [](CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  auto* sub =
      app.add_subcommand("demo",
                         "lmkit's main job: the KJV experiment — tokenizer, ∞-gram index, GPT, perplexity "
                         "table of n-gram, ∞-gram, GPT and GPT+∞-gram models");
  sub->add_option("--data-dir", options->data_dir, "Where the KJV splits live")->capture_default_str();
  sub->add_option("--work-dir", options->work_dir, "Where the tokenizer, index, model and results go")
      ->capture_default_str();
  sub->add_flag("--corpus-only", options->corpus_only, "Only prepare and summarize the corpus");
  sub->add_option("--vocab-size", options->vocab_size, "BPE vocabulary size")->capture_default_str();
  sub->add_option("--steps", options->steps, "GPT training steps")->capture_default_str();
  sub->add_option("--batch", options->batch, "GPT training batch (sequences)")->capture_default_str();
  sub->add_option("--ctx", options->ctx, "GPT training sequence length")->capture_default_str();
  sub->add_option("--order", options->order, "n of the Katz and Kneser–Ney LMs")->capture_default_str();
  sub->add_option("--max-docs", options->max_docs, "Evaluate on at most this many test documents (0: all)");
  sub->add_flag("--force", options->force, "Redo every step, even those whose outputs exist");
  sub->add_flag("--json", options->json, "Print one JSON document");
  sub->callback([options] { run(*options); });
});

}  // namespace

}  // namespace lmkit::cli
