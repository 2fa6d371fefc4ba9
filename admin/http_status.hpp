#pragma once

#include "engine/errc.hpp"

namespace licd::admin {

/// The HTTP status the admin API answers an error with.
int http_status(engine::errc code);

} // namespace licd::admin
