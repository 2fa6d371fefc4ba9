// licclient: a thin command line over the client library.
// Exit status (tools/common/exit_status.hpp): 0 success, 2 usage error, 3 refused (by the server:
// no free seat, unknown product, unknown lease, ...; or a stand-alone code, response or license
// that does not pass), 4 server unreachable or connection lost, 1 anything else.

#include "tools/licclient/commands.hpp"

#include "client/standalone.hpp"
#include "licd/version.hpp"
#include "platform/host.hpp"

#include "tools/common/cli.hpp"

#include <iostream>

namespace licd::licclient {

void print(const globals& g, const nlohmann::json& doc, const std::string& text) {
  std::cout << (g.json ? doc.dump() : text) << '\n';
}

} // namespace licd::licclient

int main(int argc, char** argv) {
  using namespace licd;
  using engine::errc;
  licclient::globals g;
  g.computer = platform::host_name("unknown-host");
  g.user = platform::user_name("unknown-user");

  CLI::App app{"licclient: floating licenses from a licd server, and stand-alone licenses"};
  tools::global_options_anywhere(app);
  app.set_version_flag("--version", std::string("licclient ") + version);
  app.add_option("--server", g.server_flag,
                 "HOST:PORT of the licd server, or a comma-separated list tried in order "
                 "(default: $LICD_SERVER, the product's mode config, else discovery)");
  app.add_option("--discovery-port", g.discovery.port, "UDP port of the discovery broadcast")
    ->capture_default_str();
  app.add_option("--discovery-target", g.discovery.targets,
                 "where to send the discovery query: a (directed) broadcast or a server's "
                 "address; repeat for several (default: every interface's broadcast address)");
  app.add_option("--computer", g.computer, "computer name to present (default: this host)");
  app.add_option("--user", g.user, "user name to present (default: the current user)");
  app.add_option("--tls-ca", g.tls.ca_file,
                 "speak TLS, verifying the server against this CA (or self-signed) certificate");
  app.add_option("--tls-pin", g.tls.pin_sha256,
                 "speak TLS, verifying the server by its certificate's SHA-256 fingerprint");
  app.add_flag("--json", g.json, "print JSON");
  app.require_subcommand(1);
  std::unique_ptr<licclient::command_group> groups[] = {licclient::lease_commands(),
                                                        licclient::workstation_commands(),
                                                        licclient::standalone_commands()};
  for (auto& group : groups)
    group->define(app, g);

  auto args = platform::utf8_arguments(argc, argv); // UTF-8 on Windows too
  std::vector<char*> arg_pointers;
  for (auto& a : args)
    arg_pointers.push_back(a.data());
  if (auto stop =
        tools::parse_command_line(app, static_cast<int>(arg_pointers.size()), arg_pointers.data()))
    return *stop;
  g.tls.enabled = !g.tls.ca_file.empty() || !g.tls.pin_sha256.empty();

  auto fail = [&g](errc code, const std::string& message) {
    return tools::report_error("licclient", g.json, code, message);
  };
  try {
    for (auto& group : groups)
      if (group->parsed())
        return group->run();
  } catch (const std::invalid_argument& e) {
    return fail(errc::bad_argument, e.what());
  } catch (const client::refused& e) {
    return fail(e.code(), e.message());
  } catch (const client::standalone_error& e) {
    return fail(e.code(), e.what());
  } catch (const client::tls_error& e) {
    return fail(errc::tls_failed, e.what());
  } catch (const client::connection_error& e) {
    return fail(errc::unreachable, e.what());
  } catch (const std::exception& e) {
    return fail(errc::failed, e.what());
  }
  return 0;
}
