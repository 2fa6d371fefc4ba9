// licadmin's client of licd's admin API.

#include "tools/licadmin/api.hpp"

#include "storage/data_dir_layout.hpp"
#include "storage/files.hpp"

#include <httplib.h>

namespace licd::licadmin {
namespace {

using engine::errc;

/// What went wrong on the way to the admin API, and what to check.
std::string unreachable_message(const std::string& url, const std::string& url_from,
                                httplib::Error error) {
  std::string what;
  switch (error) {
    case httplib::Error::Connection:
      what = "nothing accepts connections there";
      break;
    case httplib::Error::ConnectionTimeout:
      what = "no answer within 5 s";
      break;
    case httplib::Error::Read:
    case httplib::Error::Write:
      what = "the connection broke";
      break;
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLServerVerification:
      what = "TLS failed";
      break;
    default:
      what = httplib::to_string(error);
  }
  return "cannot reach licd's admin API at " + url + " (" + url_from + "): " + what
         + ". Check that licd is running (systemctl status licd) and that --server or "
           "--data-dir name the licd you mean.";
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

} // namespace

json api::call(const std::string& method, const std::string& path, const std::string& body,
               const std::string& content_type) const {
  httplib::Client cli(url);
  cli.set_connection_timeout(std::chrono::seconds(5));
  cli.set_read_timeout(std::chrono::seconds(30));
  cli.set_bearer_token_auth(token);
  if (!ca_cert.empty())
    cli.set_ca_cert_path(ca_cert.c_str());
  httplib::Result res{nullptr, httplib::Error::Unknown};
  if (method == "GET")
    res = cli.Get(path);
  else if (method == "POST")
    res = cli.Post(path, body, content_type);
  else
    res = cli.Delete(path);
  if (!res)
    throw failure{errc::unreachable, unreachable_message(url, url_from, res.error())};
  auto parsed = json::parse(res->body, nullptr, false);
  if (res->status == 401)
    throw failure{errc::unauthorized, "the admin token was refused (check --token-file)"};
  if (res->status >= 400) {
    // The API's error shape: {"error": {"code": ..., "message": ...}}.
    const auto* err = parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()
                        ? &parsed["error"]
                        : nullptr;
    auto code =
      err != nullptr ? licd::engine::errc_from_name(err->value("code", "")) : std::nullopt;
    auto msg = err != nullptr ? err->value("message", "") : "";
    throw failure{code.value_or(res->status >= 500 ? errc::server_error : errc::bad_request),
                  msg.empty() ? "HTTP " + std::to_string(res->status) : msg};
  }
  if (parsed.is_discarded())
    return json{{"text", res->body}};
  return parsed;
}

api connect(const std::string& url, const std::string& token_file, const std::string& data_dir) {
  api a;
  if (url.empty()) {
    auto url_file = storage::data_dir_layout(data_dir).admin_url_file();
    try {
      a.url = trim(files::read_file(url_file));
    } catch (const std::exception& e) {
      throw failure{errc::unreachable,
                    "no admin API URL: " + std::string(e.what()) + ". licd writes " + url_file
                      + " while it runs: is licd running with --data-dir=" + data_dir
                      + "? Or name the API with --server=http://HOST:27601"};
    }
    a.url_from = "from " + url_file;
  } else {
    a.url = url;
    a.url_from = "from --server";
  }
  auto token_path =
    token_file.empty() ? storage::data_dir_layout(data_dir).admin_token_file() : token_file;
  try {
    a.token = trim(files::read_file(token_path));
  } catch (const std::exception& e) {
    throw failure{errc::unauthorized, "no admin token: " + std::string(e.what())
                                        + " (licd writes it into its data dir; --token-file "
                                          "names another)"};
  }
  return a;
}

} // namespace licd::licadmin
