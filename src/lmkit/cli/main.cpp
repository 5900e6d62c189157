// The `lmkit` command: global flags, every registered subcommand, and the exit-code policy of
// DESIGN.md — 0 success, 2 usage errors, 1 failures; messages on stderr name the input at fault.
#include <cerrno>
#include <cstdio>
#include <map>

#include <fmt/format.h>

#include "lmkit/cli/command.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/interrupt.hpp"
#include "lmkit/util/memory.hpp"
#include "lmkit/util/progress.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::cli {

namespace {

std::map<std::string, CommandSetup>& registry() {
  static std::map<std::string, CommandSetup> commands;
  return commands;
}

GlobalOptions g_options;

}  // namespace

bool register_command(std::string name, CommandSetup setup) {
  registry().emplace(std::move(name), std::move(setup));
  return true;
}

const GlobalOptions& global_options() { return g_options; }

std::string flag_name(const std::string& field) {
  std::string flag = "--";
  for (char c : field) flag += c == '_' ? '-' : c;
  return flag;
}

namespace {

// CLI11 converts an unsigned option with strtoull, which takes "-5" as 2^64 - 5; every unsigned
// option of every command refuses a sign instead, so that no command can forget to.
void refuse_negative_unsigned(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (option->get_type_name().rfind("UINT", 0) != 0) continue;
    option->check(CLI::Validator(
        [](std::string& value) -> std::string {
          const auto first = value.find_first_not_of(" \t");
          if (first != std::string::npos && value[first] == '-')
            return fmt::format("{} is negative; this option takes a whole number >= 0", value);
          return {};
        },
        "", "non-negative"));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) refuse_negative_unsigned(*sub);
}

}  // namespace

void setup_all_commands(CLI::App& app) {
  for (auto& [name, setup] : registry()) setup(app);
  refuse_negative_unsigned(app);
}

std::string command_path(const CLI::App& app) {
  std::string path;
  for (const CLI::App* sub = &app;;) {
    auto chosen = sub->get_subcommands();
    if (chosen.empty()) break;
    sub = chosen.front();
    path += (path.empty() ? "" : " ") + sub->get_name();
  }
  return path;
}

int check_standard_output() {
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int flush_errno = errno;
  if (flushed && !std::ferror(stdout)) return 0;
  std::fprintf(stderr, "lmkit: error: error writing to standard output: %s\n",
               flush_errno != 0 ? errno_message(flush_errno).c_str() : "a write failed");
  return 1;
}

}  // namespace lmkit::cli

int main(int argc, char** argv) {
  using namespace lmkit;
  install_interrupt_cleanup();
  CLI::App app{"lmkit: ∞-gram and transformer language models in C++", "lmkit"};
  app.set_version_flag("--version", std::string("lmkit ") + LMKIT_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  auto& options = const_cast<cli::GlobalOptions&>(cli::global_options());
  app.add_flag("-q,--quiet", options.quiet, "No progress bars or informational messages");
  app.add_option("--threads", options.threads,
                 fmt::format("Worker threads (default: all cores; at most {})", ThreadPool::max_threads()));
  app.parse_complete_callback([&] {
    ProgressBar::set_quiet(options.quiet);
    ThreadPool::set_default_threads(options.threads);
    // The model commands allocate buffers per call (see memory.hpp); the others, the index builder
    // among them, keep glibc's default of returning freed memory, which their measured peaks assume.
    for (const char* name : {"train", "generate", "eval", "demo", "seq2seq", "mlm", "classify"})
      if (app.got_subcommand(name)) keep_freed_memory();
  });
  cli::setup_all_commands(app);

  try {
    app.parse(argc, argv);
    // Output that could not be written is a failure, not a success with nothing to show.
    return cli::check_standard_output();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    // CLI11 checks "a subcommand is required" before it complains about leftover words, so an
    // unknown command would be reported as a missing one; name it instead.
    if (app.remaining_size() > 0) {
      std::fprintf(stderr, "lmkit: usage error: unknown command '%s'\nRun 'lmkit --help' for the list.\n",
                   app.remaining().front().c_str());
    } else {
      std::fprintf(stderr, "lmkit: usage error: %s\nRun with --help for more information.\n", e.what());
    }
    return 2;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "lmkit: usage error: %s\nRun with --help for more information.\n", e.what());
    return 2;
  } catch (const InvalidArgument& e) {
    // The library names the argument by its field ("max_new_tokens"); the CLI spells it as its flag.
    std::fprintf(stderr, "lmkit: usage error: %s %s: %s\n", cli::flag_name(e.field()).c_str(),
                 e.value().c_str(), e.problem().c_str());
    return 2;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "lmkit: usage error: %s\n", e.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "lmkit: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    const std::string command = cli::command_path(app);
    std::fprintf(stderr, "lmkit: error: %s%sran out of memory (the system refused an allocation)\n",
                 command.c_str(), command.empty() ? "" : ": ");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lmkit: error: %s\n", e.what());
    return 1;
  }
}
