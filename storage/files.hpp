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

/// Writes a small status file (licd.port, admin.url) as write_file does; when that fails (a full
/// disk) and the file exists, replaces its content in place instead: the file keeps the disk
/// block it has. (In place, a reader may see the change half done for an instant.)
void rewrite_file(const std::string& path, const std::string& content, unsigned mode);

bool file_exists(const std::string& path);

} // namespace licd::files
