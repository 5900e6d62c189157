// How subcommands join the `lmkit` command. Each cli/*.cpp file registers its subcommands at static
// initialization:
//
//   static const bool registered = lmkit::cli::register_command("demo", [](CLI::App& app) {
//     auto* sub = app.add_subcommand("demo", "...");
//     sub->callback([=] { ... });
//   });
//
// Callbacks report bad input by throwing lmkit::Error (exit 1) or lmkit::UsageError (exit 2).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace lmkit::cli {

using CommandSetup = std::function<void(CLI::App& app)>;

// Adds a subcommand; commands appear in --help sorted by `name`. Returns true (for static init).
bool register_command(std::string name, CommandSetup setup);

// Builds the full `lmkit` app with every registered subcommand. Every unsigned option of every
// command then refuses negative values (CLI11 alone would wrap "-5" to 2^64 - 5).
void setup_all_commands(CLI::App& app);

// The subcommands chosen by the parsed command line: "tokenizer train" ("" before parsing).
std::string command_path(const CLI::App& app);

// Flushes stdout and checks that every write to it succeeded; otherwise tells on stderr and returns 1.
// main() calls it after a command succeeded, so `lmkit count ... > /dev/full` fails as it should.
int check_standard_output();

// Options every command shares, set by the top-level flags.
struct GlobalOptions {
  bool quiet = false;
  std::size_t threads = 0;  // 0: all cores
};
const GlobalOptions& global_options();

// The flag that sets a library field: "max_new_tokens" → "--max-new-tokens". Every option of a
// command is named after the library field it sets, so InvalidArgument errors map back to flags.
std::string flag_name(const std::string& field);

}  // namespace lmkit::cli
