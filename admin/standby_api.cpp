#include "admin/standby_api.hpp"

#include "admin/auth.hpp"
#include "admin/http_parts.hpp"
#include "cluster/node.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

namespace licd::admin {

standby_api::standby_api(options opts)
  : opts_(std::move(opts)), listener_(std::make_unique<http_listener>(opts_)) {
  if (opts_.token.empty())
    throw std::runtime_error("the admin API needs a token");
}

standby_api::~standby_api() {
  stop();
}

uint16_t standby_api::port() const {
  return listener_->port();
}

std::string standby_api::url() const {
  return listener_->url();
}

std::string standby_api::url_for_others(const std::string& host) const {
  return listener_->url_for_others(host);
}

void standby_api::stop() {
  listener_->stop();
}

void standby_api::start(cluster::node& node) {
  auto& http = listener_->server();
  http.set_read_timeout(std::chrono::seconds(10));
  http.set_pre_routing_handler([this, &node](const httplib::Request& req, httplib::Response& res) {
    set_security_headers(res);
    const auto& path = req.path;
    auto self = node.name();
    auto leader = node.leader();
    std::string admin = leader && leader->name != self ? leader->admin : std::string{};
    bool api = path.rfind("/api/", 0) == 0 || path == "/metrics";
    bool reads = req.method == "GET" || req.method == "HEAD";
    if (!api) {
      // The License Manager: a browser is sent to the leader's, where the admin logs in.
      if (reads && !admin.empty()) {
        res.status = 307;
        res.set_header("Location", admin + req.target);
        res.set_content("This licd node stands by: " + leader->name + " leads, at " + admin + "\n",
                        "text/plain; charset=utf-8");
      } else {
        res.status = 503;
        res.set_header("Retry-After", "2");
        res.set_content("This licd node (" + self
                          + ") stands by, and no node of its cluster leads yet (its License "
                            "Manager is the leader's). Try again in a few seconds.\n",
                        "text/plain; charset=utf-8");
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    if (path == "/api/v1/cluster" && reads) {
      auto header = req.get_header_value("Authorization");
      if (!bearer_role(header, opts_.token, opts_.readonly_token)) {
        res.set_header("WWW-Authenticate", "Bearer");
        fail(res, engine::errc::unauthorized,
             "a valid admin token is needed: Authorization: Bearer TOKEN");
      } else {
        reply(res, 200, cluster_json(node.status())); // asks etcd: blocks this HTTP thread
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    std::string where = !admin.empty()
                          ? leader->name + " leads, and its admin API is at " + admin
                              + " (licadmin --server=" + admin
                              + " on a machine that may reach it, with the leader's admin token)"
                          : std::string("no node leads yet: try again in a few seconds");
    fail(res, engine::errc::not_leader,
         "this node (" + self + ") stands by, and only the leader has the admin API: " + where);
    return httplib::Server::HandlerResponse::Handled;
  });
  listener_->start();
  spdlog::info("cluster: the admin port {} sends the License Manager to the leader's",
               listener_->url());
}

} // namespace licd::admin
