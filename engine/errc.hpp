#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

/// Every way a request to licd can fail, in one vocabulary: the wire protocol, the admin API,
/// the tools and the client library all speak it. Each value's name (`name`) is its code
/// wherever a code is shown: on the wire (`ERR 4 NO_SEATS ...`), in JSON errors
/// (`{"error": {"code": "NO_SEATS", ...}}`) and in the client library. Tables map it to HTTP
/// statuses (admin/http_status.hpp), exit statuses (tools/common/exit_status.hpp) and the C API's
/// licd_status (client/c_api.cpp); a new value is added here and in those tables.
namespace licd::engine {

enum class errc : uint8_t {
  // A request that cannot be understood.
  bad_request,     ///< not a well-formed request (a missing or invalid argument, a bad name)
  line_too_long,   ///< a request line longer than the protocol allows
  unknown_command, ///< the first word of a request line is no command
  no_hello,        ///< CHECKOUT, RENEW or RELEASE before HELLO
  bad_version,     ///< HELLO asked for a protocol version the server does not speak
  // Seats and leases.
  unknown_product,  ///< the server has no such product
  no_seats,         ///< every seat is held by other computers
  unknown_lease,    ///< no live lease with that id (released, expired, never granted)
  disconnected,     ///< an administrator disconnected the computer; it waits out a cooldown
  too_many_leases,  ///< the computer holds the most leases of the product one computer may
  unknown_computer, ///< no computer of that name is connected or holds a lease
  reserved,         ///< the site policy keeps the free seats for a reservation (RESERVE)
  limit,            ///< the site policy's MAX for this user, computer, address or group is reached
  excluded,         ///< the site policy does not let this user, computer or address use the product
  not_waiting,      ///< no CHECKOUT with that id waits in a queue on this connection
  // The server.
  storage_error,        ///< the change could not be made durable; nothing changed
  storage_full,         ///< the data dir (its disk or LMDB map) is full; nothing changed
  server_error,         ///< an internal failure; nothing changed
  too_many_connections, ///< the connection limit (in total or per address) is reached
  timeout,              ///< no HELLO in time, or idle too long: the connection is closed
  tls_required,         ///< plain text on a TLS port
  not_leader,           ///< a cluster's standby: another node leads (its address in the message as
                        ///< `leader=HOST:PORT`, absent while none does); ask it
  // License codes (a license, an activation request or response, a receipt).
  not_a_code,    ///< no "LICD-" marker at all
  text_before,   ///< other text in front of the code
  text_after,    ///< other text behind the code
  truncated,     ///< fewer characters than the code declares
  malformed,     ///< the characters do not make a valid record
  unknown_key,   ///< signed by a key this side does not trust
  bad_signature, ///< the signature does not match: altered or mistyped
  wrong_kind,    ///< a valid code of another kind (a request pasted as a license)
  // Installed licenses and their activation.
  not_found,         ///< no installed license with that id
  duplicate,         ///< the license is installed already
  activated,         ///< the license is activated here: deactivate it first
  already_active,    ///< the license is activated on this server already
  not_required,      ///< the license needs no activation
  not_activated,     ///< the license is not activated
  hardware_mismatch, ///< the activation is for hardware this server no longer matches
  wrong_license,     ///< an activation response for another license
  wrong_server,      ///< an activation response for another server's request
  stale_response,    ///< an activation response to a request that is no longer pending
  wrong_machine,     ///< an activation response for another machine
  untrusted,         ///< a stored activation no longer verifies
  standalone_mode,   ///< the product is licensed stand-alone here, not by a server
  not_licensed,      ///< stand-alone: no valid license for the product on this machine
  // Files on the caller's side (the stand-alone license file).
  unsafe_file, ///< a file others may write, so anyone could change it
  unreadable,  ///< a file that cannot be read
  unwritable,  ///< a file that cannot be written
  corrupt,     ///< a file that is not what it should be
  // The caller's side.
  bad_argument,      ///< a bad option, name, file or config given to a tool or the library
  unreachable,       ///< no server answered, or the connection broke
  tls_failed,        ///< the server's certificate did not pass verification
  unauthorized,      ///< the admin token is missing or wrong
  forbidden,         ///< the read-only admin token may look, not change
  request_too_large, ///< an admin API request body over its limit
  not_confirmed,     ///< a destructive command was not confirmed
  failed,            ///< anything else (a file that cannot be written, ...): the message says
};

/// The code as shown everywhere: "NO_SEATS".
std::string_view name(errc code);
/// The value for a code, in any letter case; nullopt for a code this side does not know (a
/// newer server may send new ones: treat those as server_error).
std::optional<errc> errc_from_name(std::string_view text);

} // namespace licd::engine
