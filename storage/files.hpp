#pragma once

#include <string>

/// Small file helpers for the data dir, the tools and the client library (no LMDB here). Each
/// throws std::runtime_error with the path and the reason.
namespace licd::files {

std::string read_file(const std::string& path);

/// Writes atomically (temp file + rename) with the given mode; `exclusive` refuses to replace an
/// existing file.
void write_file(const std::string& path, const std::string& content, unsigned mode,
                bool exclusive = false);

bool file_exists(const std::string& path);

} // namespace licd::files
