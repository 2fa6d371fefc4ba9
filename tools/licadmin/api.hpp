#pragma once
// licadmin's client of licd's admin API: where the API is, its token, and a call that maps
// every failure (unreachable, token refused, the API's error shape) to one of licd's errors.

#include "engine/errc.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace licd::licadmin {

using json = nlohmann::json;

/// A failed command, with its error.
struct failure {
  engine::errc code;
  std::string message;
};

struct api {
  std::string url;
  std::string url_from; ///< where the URL came from, for messages
  std::string token;
  std::string ca_cert; ///< an https API's certificate to trust (empty: the system's CAs)

  /// The admin API's answer to METHOD PATH (GET, POST or DELETE); throws `failure`.
  json call(const std::string& method, const std::string& path, const std::string& body = "",
            const std::string& content_type = "text/plain") const;
};

/// The API of the licd whose data dir is `data_dir`, or at `url` when it is given; the token from
/// `token_file`, else from the data dir. Throws `failure` with what to check.
api connect(const std::string& url, const std::string& token_file, const std::string& data_dir);

} // namespace licd::licadmin
