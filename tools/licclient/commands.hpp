#pragma once
// licclient's commands, one group per file; main.cpp defines the global options, parses and
// dispatches to the group whose subcommand was given, and maps exceptions to exit statuses.

#include "client/connection.hpp"
#include "client/discovery.hpp"
#include "tools/common/exit_status.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace licd::licclient {

/// The options that every command may use, given anywhere on the line.
struct globals {
  std::string server_flag; ///< --server, a comma-separated list
  std::string computer;
  std::string user;
  bool json = false;
  client::discovery_options discovery;
  client::tls_options tls;
};

/// A group of subcommands: `define` adds them to the app, `run` runs the one that was parsed
/// (returns the exit status). `parsed` tells whether one of the group's subcommands was given.
class command_group {
public:
  virtual ~command_group() = default;
  virtual void define(CLI::App& app, globals& g) = 0;
  virtual bool parsed() const = 0;
  virtual int run() = 0;
};

/// checkout, renew, release, status, hold: the commands that talk to a licd server.
std::unique_ptr<command_group> lease_commands();
/// servers (discovery) and mode show/set (this workstation's per-product mode config).
std::unique_ptr<command_group> workstation_commands();
/// standalone add/activate/list/check/remove: stand-alone licenses, no server.
std::unique_ptr<command_group> standalone_commands();

/// Prints `doc` on one line under --json, else `text`; a newline after either.
void print(const globals& g, const nlohmann::json& doc, const std::string& text);

} // namespace licd::licclient
