#pragma once

// The fuzz targets, as plain functions: libFuzzer drives them (fuzz/main_libfuzzer.cpp, built
// with clang by fuzz/run.sh), and the corpus replay runs them as ordinary tests in CI
// (fuzz/replay.cpp). Each takes arbitrary bytes and must neither crash nor hang nor leak.

#include <cstddef>
#include <cstdint>

namespace licd::fuzz {

/// Wire protocol: request and reply lines, line framing, discovery datagrams.
void protocol(const uint8_t* data, size_t size);
/// Reply lines: every typed reply that reads re-formats to a line that reads the same.
void replies(const uint8_t* data, size_t size);
/// License codes, activation requests, responses and release receipts.
void codes(const uint8_t* data, size_t size);
/// The client's mode config and server lists.
void config(const uint8_t* data, size_t size);

} // namespace licd::fuzz
