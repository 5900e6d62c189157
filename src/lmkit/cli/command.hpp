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

// Builds the full `lmkit` app with every registered subcommand.
void setup_all_commands(CLI::App& app);

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
