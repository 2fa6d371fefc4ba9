#include "engine/lease_id.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#ifndef _WIN32
#include <pthread.h>
#endif

#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace licd::engine {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Bumped in a child process made by fork(), so that it does not reuse its parent's buffered
/// random bytes.
std::atomic<uint64_t> fork_generation{0};

#ifndef _WIN32 // Windows has no fork
void on_fork_child() {
  fork_generation.fetch_add(1, std::memory_order_relaxed);
}
#endif

/// Random bytes drawn from OpenSSL's generator 4 KiB at a time, per thread. One `RAND_bytes`
/// call costs about 1.8 us on licd's machines whether it yields 16 bytes or 4 KiB (its fork
/// check is a getpid() system call), and a busy pool makes a lease id per checkout. Bytes are
/// wiped from the buffer as they are handed out.
void take_random(unsigned char* out, size_t n) {
#ifndef _WIN32
  static std::once_flag registered;
  std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, on_fork_child); });
#endif
  struct buffer {
    unsigned char bytes[4096];
    size_t used = sizeof(bytes);
    uint64_t generation = 0;
  };
  thread_local buffer buf;
  auto generation = fork_generation.load(std::memory_order_relaxed);
  if (n > sizeof(buf.bytes))
    throw std::invalid_argument("take_random: too many bytes at once");
  if (buf.used + n > sizeof(buf.bytes) || buf.generation != generation) {
    if (RAND_bytes(buf.bytes, sizeof(buf.bytes)) != 1)
      throw std::runtime_error("OpenSSL RAND_bytes failed: cannot make a lease id");
    buf.used = 0;
    buf.generation = generation;
  }
  std::memcpy(out, buf.bytes + buf.used, n);
  OPENSSL_cleanse(buf.bytes + buf.used, n);
  buf.used += n;
}

} // namespace

std::array<char, 32> lease_id::hex() const {
  std::array<char, 32> out;
  for (int i = 0; i < 16; ++i) {
    out[static_cast<size_t>(i)] = hex_digits[(hi >> (60 - 4 * i)) & 0xF];
    out[static_cast<size_t>(16 + i)] = hex_digits[(lo >> (60 - 4 * i)) & 0xF];
  }
  return out;
}

std::string lease_id::to_hex() const {
  auto h = hex();
  return std::string(h.data(), h.size());
}

std::optional<lease_id> lease_id::from_hex(std::string_view text) {
  if (text.size() != 32)
    return std::nullopt;
  lease_id id;
  for (size_t i = 0; i < 32; ++i) {
    int v = hex_value(text[i]);
    if (v < 0)
      return std::nullopt;
    uint64_t& half = i < 16 ? id.hi : id.lo;
    half = (half << 4) | static_cast<uint64_t>(v);
  }
  return id;
}

lease_id make_lease_id(int64_t now_ms) {
  auto id = make_random_lease_id();
  id.hi = (static_cast<uint64_t>(now_ms) << 16) | (id.hi & 0xffff);
  return id;
}

lease_id make_random_lease_id() {
  unsigned char bytes[16];
  take_random(bytes, sizeof(bytes));
  lease_id id;
  for (int i = 0; i < 8; ++i) {
    id.hi = (id.hi << 8) | bytes[i];
    id.lo = (id.lo << 8) | bytes[8 + i];
  }
  return id;
}

uint64_t random_u64() {
  uint64_t x = 0;
  while (x == 0)
    x = make_random_lease_id().hi;
  return x;
}

} // namespace licd::engine
