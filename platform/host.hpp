#pragma once

#include <cstdint>
#include <string>
#include <vector>

/// What this process runs on and as, read from the system: names and today's date.
namespace licd::platform {

/// This computer's host name; `if_unknown` when the system will not say.
std::string host_name(const std::string& if_unknown = "");

/// The effective user's name (the password database, else $USER); `if_unknown` when neither says.
std::string user_name(const std::string& if_unknown = "");

/// The command line's arguments in UTF-8: argv itself on Linux; on Windows the wide command line
/// (GetCommandLineW), since argv there is in the ANSI code page. Also makes the Windows console
/// show UTF-8 output.
std::vector<std::string> utf8_arguments(int argc, char** argv);

/// This process's id.
unsigned long process_id();

/// Days since 1970-01-01 by the system clock (UTC): the unit of license issue and expiry dates.
int32_t today_day();

} // namespace licd::platform
