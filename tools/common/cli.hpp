#pragma once

#include "tools/common/exit_status.hpp"

#include <CLI/CLI.hpp>

#include <optional>

namespace licd::tools {

/// A tool's app: its global options (--json, --server, ...) may come anywhere on the line, also
/// after the subcommand (`licclient status --json`). Subcommands inherit the fallthrough.
inline void global_options_anywhere(CLI::App& app) {
  app.fallthrough();
}

/// Parses the command line. Returns the exit status when the tool should stop here: 0 after
/// --help or --version, exit_usage (with CLI11's message) on a usage error.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }
  return std::nullopt;
}

} // namespace licd::tools
