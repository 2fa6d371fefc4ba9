#include "admin/http_parts.hpp"

#include "admin/http_status.hpp"
#include "cluster/node.hpp"
#include "engine/errc_json.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace licd::admin {

using json = nlohmann::json;

http_listener::http_listener(const options& opts) : bind_(opts.bind) {
  if (opts.tls_cert.empty() != opts.tls_key.empty())
    throw std::runtime_error("--admin-tls-cert and --admin-tls-key go together");
  tls_ = !opts.tls_cert.empty();
  if (tls_) {
    for (const auto* file : {&opts.tls_cert, &opts.tls_key})
      if (::access(file->c_str(), R_OK) != 0)
        throw std::runtime_error("cannot read " + *file
                                 + " for the admin API's TLS: " + std::strerror(errno));
    auto https = std::make_unique<httplib::SSLServer>(opts.tls_cert.c_str(), opts.tls_key.c_str());
    if (!https->is_valid())
      throw std::runtime_error("the admin API cannot serve TLS with " + opts.tls_cert + " and "
                               + opts.tls_key + ": not a PEM certificate and its private key");
    http_ = std::move(https);
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  // cpp-httplib's default sets SO_REUSEPORT, which lets a second licd listen on the same admin
  // port beside this one (requests then land on either). SO_REUSEADDR alone only allows a quick
  // restart past TIME_WAIT; a port another process listens on stays an error.
  http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  if (opts.port == 0) {
    int p = http_->bind_to_any_port(opts.bind);
    if (p <= 0)
      throw std::runtime_error("cannot listen for the admin API on " + opts.bind);
    port_ = static_cast<uint16_t>(p);
  } else {
    if (!http_->bind_to_port(opts.bind, opts.port))
      throw std::runtime_error("cannot listen for the admin API on " + opts.bind + ":"
                               + std::to_string(opts.port) + " (in use, or a bad address)");
    port_ = opts.port;
  }
}

http_listener::~http_listener() {
  stop();
}

void http_listener::start() {
  thread_ = std::thread([this] {
    http_->listen_after_bind();
    listen_returned_ = true;
  });
}

void http_listener::stop() {
  if (!thread_.joinable())
    return;
  // httplib's stop() does nothing until its accept loop has started: a stop right after start-up
  // (a SIGTERM as soon as licd is ready) would otherwise leave the loop running and the join
  // waiting for ever.
  while (!http_->is_running() && !listen_returned_)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  http_->stop();
  thread_.join();
}

std::string http_listener::url() const {
  return url_for_others(bind_ == "::" ? "[::1]" : "127.0.0.1");
}

std::string http_listener::url_for_others(const std::string& host) const {
  const auto& b = bind_;
  auto h = b == "0.0.0.0" || b == "::"        ? host
           : b.find(':') != std::string::npos ? "[" + b + "]"
                                              : b;
  return std::string(tls_ ? "https" : "http") + "://" + h + ":" + std::to_string(port_);
}

void set_security_headers(httplib::Response& res) {
  // The License Manager runs only its own files: no inline script or style, nothing from
  // elsewhere, never inside another site's frame.
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' "
                 "data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
                 "frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
}

std::string iso_time(int64_t ms) {
  if (ms <= 0)
    return "";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // Stored text that is not UTF-8 (names a licd before names were checked let in, a damaged
  // record) is shown with U+FFFD in its place: no stored byte may make the API answer 500.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                  "application/json");
}

void fail(httplib::Response& res, engine::errc code, const std::string& msg) {
  reply(res, http_status(code), engine::error_json(code, msg));
}

json cluster_json(const cluster::cluster_status& s) {
  auto node = [](const cluster::node_info& n) {
    return json{{"name", n.name},
                {"client", n.client},
                {"admin", n.admin},
                {"started", iso_time(n.started_ms)}};
  };
  auto nodes = json::array();
  for (const auto& n : s.nodes) {
    auto j = node(n);
    j["leads"] = s.leader && s.leader->name == n.name;
    nodes.push_back(j);
  }
  auto members = json::array();
  for (const auto& [endpoint, health] : s.members)
    members.push_back(json{{"endpoint", endpoint}, {"health", health}});
  return json{{"enabled", true},
              {"cluster", s.cluster},
              {"self", s.self},
              {"leading", s.leading},
              {"leader", s.leader ? node(*s.leader) : json(nullptr)},
              {"nodes", nodes},
              {"etcd", members},
              {"applied_revision", s.applied_revision},
              {"fencing_token", s.token},
              {"elections", s.leader_changes}};
}

} // namespace licd::admin
