#include "admin/http_status.hpp"

namespace licd::admin {

int http_status(engine::errc code) {
  using engine::errc;
  switch (code) {
    case errc::unauthorized:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
    case errc::unknown_lease:
    case errc::unknown_product:
    case errc::unknown_computer:
    case errc::not_waiting:
      return 404;
    // The current state forbids it: the seats, a cooldown, the license's state.
    case errc::no_seats:
    case errc::disconnected:
    case errc::too_many_leases:
    case errc::reserved:
    case errc::limit:
    case errc::excluded:
    case errc::duplicate:
    case errc::activated:
    case errc::already_active:
    case errc::not_required:
    case errc::not_activated:
    case errc::hardware_mismatch:
      return 409;
    case errc::request_too_large:
      return 413;
    case errc::storage_error:
    case errc::storage_full:
      return 507;
    case errc::too_many_connections:
    case errc::not_leader:
      return 503;
    case errc::server_error:
    case errc::timeout:
    case errc::failed:
      return 500;
    default:
      return 400; // the request, or the code in it, is refused
  }
}

} // namespace licd::admin
