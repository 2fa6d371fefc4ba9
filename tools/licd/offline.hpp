#pragma once

#include "tools/licd/options.hpp"

/// What licd does without serving, each returning licd's exit status.
namespace licd {

/// --make-tls-cert: writes a self-signed certificate and key and prints the fingerprint.
int make_tls_cert(const licd_config& cfg);
/// --check-config: the options (parsed and checked already) and the vendor keys.
int check_config(const licd_config& cfg);
/// --verify: every record of the data dir (or a backup of one); 0 intact, 1 damaged.
int verify(const licd_config& cfg);
/// --remove-license=ID: from a stopped licd's data dir; 3 when there is no such license.
int remove_license(const licd_config& cfg);

} // namespace licd
