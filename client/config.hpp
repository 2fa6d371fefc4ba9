#pragma once

#include <map>
#include <string>
#include <vector>

/// The license mode of each product on a workstation ("Change License Mode"): network (from a
/// server found automatically or at given addresses) or stand-alone. Two INI files, one section
/// per product; the user's file takes precedence over the system's, product by product:
///
///     [cad]
///     mode = network
///     server = auto            # or host:port,host:port (tried in order)
///
///     [cam]
///     mode = standalone
namespace licd::client {

struct product_mode {
  std::string mode = "network";   ///< network or standalone
  std::vector<std::string> servers; ///< empty: auto (discovery)
  std::string source;             ///< the file it came from, empty: the default
};

struct mode_config {
  std::map<std::string, product_mode> products;

  /// The product's mode; network with automatic discovery when no file names it.
  product_mode for_product(const std::string& product) const;
};

/// $LICD_SYSTEM_CONFIG, else /etc/licd/client.conf.
std::string system_config_path();
/// $LICD_USER_CONFIG, else $XDG_CONFIG_HOME/licd/client.conf, else ~/.config/licd/client.conf.
std::string user_config_path();

/// Reads both files (missing files are empty); the user's sections replace the system's.
/// Throws std::runtime_error naming the file and line of a syntax error.
mode_config load_mode_config(const std::string& system_path = system_config_path(),
                             const std::string& user_path = user_config_path());

/// One file's text (`source` names it in errors). Throws std::runtime_error on a syntax error.
mode_config parse_mode_config(const std::string& text, const std::string& source);

/// Rewrites one product's section in `path` (creating the file), keeping the others.
/// Throws std::invalid_argument for a bad mode or server list, std::runtime_error when the file
/// cannot be written.
void set_product_mode(const std::string& path, const std::string& product,
                      const std::string& mode, const std::vector<std::string>& servers);

/// "host:port,host:port" or "auto" -> the list (empty for auto). Throws std::invalid_argument.
std::vector<std::string> parse_server_list(const std::string& text);

/// The servers a network client tries, by precedence: `given` (the command line or the
/// application), else $LICD_SERVER, else the product's mode config (`mode`). Empty: find one by
/// discovery. Throws std::invalid_argument ("LICD_SERVER: ...") for a bad list in $LICD_SERVER.
std::vector<std::string> configured_servers(const std::vector<std::string>& given,
                                            const product_mode& mode);

} // namespace licd::client
