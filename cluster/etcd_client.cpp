#include "cluster/etcd_client.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace licd::cluster::etcd {

namespace {

/// A quiet watch is ended after this long and started again from where it was (etcd 3.4 sends
/// progress only every ten minutes, and a connection that died silently must be noticed).
constexpr std::chrono::seconds watch_quiet{30};

/// How long signing in may take.
constexpr std::chrono::seconds auth_patience{10};

/// Why a call did not get an answer, in words.
std::string why_unanswered(const std::string& endpoint, httplib::Error e) {
  switch (e) {
    case httplib::Error::SSLServerVerification:
      return endpoint
             + ": its TLS certificate did not pass verification (give its CA with "
               "--etcd-ca)";
    case httplib::Error::SSLConnection:
      return endpoint
             + ": the TLS handshake failed (a client certificate it wants: "
               "--etcd-cert and --etcd-key?)";
    case httplib::Error::Connection:
      return endpoint + ": cannot connect";
    default:
      return endpoint + ": " + httplib::to_string(e);
  }
}

/// An answer of the gateway: its status and body. etcd 3.4's gateway sends an error's body
/// chunked with an HTTP trailer, which cpp-httplib 0.11 cannot read to the end: the status and
/// the body arrive before that, so they are kept (and the connection is not used again).
struct reply {
  httplib::Error error = httplib::Error::Success; ///< no status came
  int status = 0;
  std::string body;
  bool complete = false; ///< the whole response was read (the connection may be used again)
};

reply post(httplib::Client& c, const std::string& path, const httplib::Headers& headers,
           const std::string& body) {
  reply out;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = headers;
  req.body = body;
  req.set_header("Content-Type", "application/json");
  req.response_handler = [&](const httplib::Response& r) {
    out.status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    out.body.append(data, size);
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  out.complete = c.send(req, res, err);
  if (out.status == 0)
    out.error = err == httplib::Error::Success ? httplib::Error::Unknown : err;
  return out;
}

std::string etcd_message(const reply& r) {
  try {
    auto j = nlohmann::json::parse(r.body);
    if (j.contains("message") && j["message"].is_string())
      return j["message"].get<std::string>();
    if (j.contains("error") && j["error"].is_string())
      return j["error"].get<std::string>();
  } catch (const std::exception&) {
  }
  return r.body.substr(0, 200);
}

} // namespace

std::vector<std::string> parse_cluster_url(std::string_view text) {
  constexpr std::string_view scheme = "etcd:";
  if (text.substr(0, scheme.size()) != scheme)
    throw std::invalid_argument("--cluster wants etcd:URL[,URL...], e.g. "
                                "etcd:http://10.0.0.1:2379,http://10.0.0.2:2379");
  text.remove_prefix(scheme.size());
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto url = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    while (!url.empty() && url.back() == '/')
      url.remove_suffix(1);
    bool http = url.substr(0, 7) == "http://", https = url.substr(0, 8) == "https://";
    auto rest = url.substr(http ? 7 : https ? 8 : 0);
    if ((!http && !https) || rest.empty() || rest.find('/') != std::string_view::npos
        || rest.find(':') == std::string_view::npos)
      throw std::invalid_argument("--cluster: '" + std::string(url)
                                  + "' is not an etcd member's URL (http://HOST:PORT or "
                                    "https://HOST:PORT)");
    out.emplace_back(url);
  }
  if (out.empty())
    throw std::invalid_argument("--cluster names no etcd member");
  return out;
}

client::client(client_options opts) : opts_(std::move(opts)), idle_(opts_.endpoints.size()) {
  if (opts_.endpoints.empty())
    throw std::invalid_argument("etcd: no endpoints");
}

client::~client() = default;

std::unique_ptr<httplib::Client> client::connect(const std::string& endpoint) const {
  std::unique_ptr<httplib::Client> c;
  if (!opts_.cert_file.empty())
    c = std::make_unique<httplib::Client>(endpoint, opts_.cert_file, opts_.key_file);
  else
    c = std::make_unique<httplib::Client>(endpoint);
  if (!opts_.ca_file.empty()) {
    c->set_ca_cert_path(opts_.ca_file.c_str());
    c->enable_server_certificate_verification(true);
  }
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(opts_.timeout);
  auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(opts_.timeout - secs);
  c->set_connection_timeout(secs.count(), usecs.count());
  c->set_read_timeout(secs.count(), usecs.count());
  c->set_write_timeout(secs.count(), usecs.count());
  c->set_keep_alive(true);
  return c;
}

std::string client::token() {
  if (opts_.user.empty())
    return {};
  {
    std::lock_guard lock(mutex_);
    if (!token_.empty())
      return token_;
  }
  nlohmann::json body = {{"name", opts_.user}, {"password", opts_.password}};
  std::string answer;
  std::string why;
  for (size_t i = 0; i < opts_.endpoints.size() && answer.empty(); ++i) {
    auto c = connect(opts_.endpoints[i]);
    c->set_read_timeout(auth_patience.count(), 0); // etcd checks the password with bcrypt: slow
    auto r = post(*c, "/v3/auth/authenticate", {}, body.dump());
    if (r.status == 0)
      why = why_unanswered(opts_.endpoints[i], r.error);
    else if (r.status != 200)
      throw unavailable("etcd refused user '" + opts_.user + "': " + etcd_message(r));
    else
      answer = r.body;
  }
  if (answer.empty())
    throw unavailable("no etcd member answered (" + why + ")");
  auto j = nlohmann::json::parse(answer, nullptr, false);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string())
    throw unavailable("etcd's authentication answer has no token");
  std::lock_guard lock(mutex_);
  token_ = j["token"].get<std::string>();
  return token_;
}

std::string client::call_member(size_t member, const std::string& path, const std::string& body) {
  std::unique_ptr<httplib::Client> c;
  {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[member];
    if (!idle.empty()) {
      c = std::move(idle.back());
      idle.pop_back();
    }
  }
  if (!c)
    c = connect(opts_.endpoints[member]);
  auto send_once = [&] {
    httplib::Headers headers;
    if (auto t = token(); !t.empty())
      headers.emplace("Authorization", t);
    return post(*c, path, headers, body);
  };
  reply r;
  for (int attempt = 0; attempt < 2; ++attempt) {
    r = send_once();
    if (r.status == 0)
      throw unavailable(why_unanswered(opts_.endpoints[member], r.error));
    bool expired = !opts_.user.empty()
                   && (r.status == 401
                       || (r.status != 200 && etcd_message(r).find("token") != std::string::npos));
    if (!expired)
      break;
    std::lock_guard lock(mutex_);
    token_.clear(); // etcd's token expired (it lives 5 minutes unused): authenticate again
  }
  if (r.status >= 500)
    throw unavailable(opts_.endpoints[member] + " answered " + std::to_string(r.status) + ": "
                      + etcd_message(r));
  if (r.status != 200)
    throw std::runtime_error("etcd refused " + path + ": " + etcd_message(r));
  if (!r.complete)
    throw unavailable(opts_.endpoints[member] + ": the answer to " + path + " broke off");
  std::string out = std::move(r.body);
  std::lock_guard lock(mutex_);
  idle_[member].push_back(std::move(c));
  preferred_ = member;
  return out;
}

std::string client::call(const std::string& path, const std::string& body) {
  size_t first = 0;
  {
    std::lock_guard lock(mutex_);
    first = preferred_;
  }
  std::string why;
  for (size_t i = 0; i < opts_.endpoints.size(); ++i) {
    auto member = (first + i) % opts_.endpoints.size();
    try {
      return call_member(member, path, body);
    } catch (const unavailable& e) {
      why += (why.empty() ? "" : "; ") + std::string(e.what());
    }
  }
  throw unavailable("no etcd member answered " + path + " (" + why + ")");
}

txn_result client::txn(const std::vector<created_at>& conditions, const std::vector<op>& success,
                       const std::vector<op>& failure) {
  return parse_txn(call("/v3/kv/txn", txn_request(conditions, success, failure)));
}

range_result client::range(std::string_view key, std::string_view range_end) {
  return parse_range(call("/v3/kv/range", range_request(key, range_end)));
}

lease_answer client::grant(std::chrono::seconds ttl) {
  return parse_lease(call("/v3/lease/grant", lease_grant_request(ttl)));
}

lease_answer client::keepalive(int64_t lease) {
  return parse_lease(call("/v3/lease/keepalive", lease_id_request(lease)));
}

void client::revoke(int64_t lease) {
  call("/v3/lease/revoke", lease_id_request(lease));
}

void client::watch(std::string_view key, std::string_view range_end, int64_t start_revision,
                   const std::function<bool(const watch_message&)>& on_message) {
  auto body = watch_request(key, range_end, start_revision);
  size_t first = 0;
  {
    std::lock_guard lock(mutex_);
    first = preferred_;
  }
  std::string why;
  for (size_t i = 0; i < opts_.endpoints.size(); ++i) {
    if (stop_watch_.load())
      return;
    auto member = (first + i) % opts_.endpoints.size();
    auto c = connect(opts_.endpoints[member]);
    c->set_read_timeout(watch_quiet.count(), 0);
    {
      std::lock_guard lock(watch_mutex_);
      watching_ = c.get();
    }
    std::string pending;
    bool heard = false, go_on = true;
    std::string failure;
    httplib::Request req;
    req.method = "POST";
    req.path = "/v3/watch";
    req.body = body;
    req.set_header("Content-Type", "application/json");
    if (auto t = token(); !t.empty())
      req.set_header("Authorization", t);
    req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
      pending.append(data, size);
      for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
        auto line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (line.find_first_not_of(" \r\t") == std::string::npos)
          continue;
        try {
          auto m = parse_watch_line(line);
          heard = true;
          if (!on_message(m)) {
            go_on = false;
            return false;
          }
        } catch (const std::exception& e) {
          failure = e.what();
          return false;
        }
      }
      return !stop_watch_.load();
    };
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    c->send(req, res, err);
    {
      std::lock_guard lock(watch_mutex_);
      watching_ = nullptr;
    }
    if (!failure.empty())
      throw std::runtime_error("etcd's watch stream: " + failure);
    if (heard || !go_on || stop_watch_.load())
      return; // it ran (and ended, timed out or was stopped): the caller watches again
    why += (why.empty() ? "" : "; ")
           + (err != httplib::Error::Success
                ? why_unanswered(opts_.endpoints[member], err)
                : opts_.endpoints[member] + ": answered " + std::to_string(res.status));
  }
  throw unavailable("no etcd member answered /v3/watch (" + why + ")");
}

void client::stop_watch() {
  stop_watch_.store(true);
  std::lock_guard lock(watch_mutex_);
  if (watching_ != nullptr)
    watching_->stop();
}

std::vector<std::pair<std::string, std::string>> client::health() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& endpoint : opts_.endpoints) {
    auto c = connect(endpoint);
    auto r = c->Get("/health");
    if (!r) {
      out.emplace_back(endpoint, why_unanswered(endpoint, r.error()));
      continue;
    }
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    bool ok = r->status == 200 && j.is_object() && j.value("health", "") == "true";
    out.emplace_back(endpoint, ok ? "ok" : "unhealthy: " + r->body.substr(0, 200));
  }
  return out;
}

} // namespace licd::cluster::etcd
