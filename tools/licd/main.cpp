// licd: the floating-license server daemon. Parses options, takes the data dir, starts the
// actors (actors/server.hpp) and waits for SIGTERM or SIGINT to stop them cleanly.

#include "actors/server.hpp"
#include "licd/version.hpp"
#include "tools/licd/data_dir.hpp"

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <pthread.h>

int main(int argc, char** argv) {
  licd::server_options opts;
  opts.data_dir = "/var/lib/licd";
  std::string log_level = "info";
  unsigned ttl = 600;
  unsigned threads = 0;

  CLI::App app{"licd: network floating-license server"};
  app.set_config("--config", "", "read options from an INI/TOML file (key = value)");
  app.set_version_flag("--version", std::string("licd ") + licd::version);
  app.add_option("--data-dir", opts.data_dir, "where the LMDB data lives")->capture_default_str();
  app.add_option("--bind", opts.bind, "address to listen on (all interfaces by default)")
    ->capture_default_str();
  app.add_option("--port", opts.port, "TCP port for clients (0: pick a free one)")
    ->capture_default_str();
  app.add_option("--lease-ttl", ttl, "seconds a lease lives unless renewed")
    ->check(CLI::Range(1u, 86400u))
    ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
    ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
    ->capture_default_str();
  app.add_option("--threads", threads, "actor scheduler threads (0: one per core)");
  app.add_flag("--demo", opts.demo, "provision a product 'demo' with 5 seats on first start");
  CLI11_PARSE(app, argc, argv);
  opts.lease_ttl = std::chrono::seconds(ttl);

  auto logger = spdlog::stdout_color_mt("licd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::flush_on(spdlog::level::info);

  // Block the stop signals before any thread exists, so that only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    licd::data_dir dir(opts.data_dir);
    dir.remove_port_file();
    caf::actor_system_config cfg;
    cfg.load<caf::io::middleman>();
    cfg.set("scheduler.max-threads", threads == 0 ? std::thread::hardware_concurrency() : threads);
    caf::actor_system sys{cfg};
    licd::server srv{sys, opts};
    dir.write_port_file(srv.port());
    int sig = 0;
    sigwait(&stop_signals, &sig);
    spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    dir.remove_port_file();
    srv.stop();
  } catch (const std::exception& e) {
    spdlog::critical("licd cannot run: {}", e.what());
    return 1;
  }
  return 0;
}
