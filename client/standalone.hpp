#pragma once

#include "engine/errc.hpp"

#include "engine/fingerprint.hpp"
#include "engine/license_code.hpp"
#include "engine/license_set.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

/// Stand-alone licenses: codes bound to one workstation, checked there with no server and no
/// network. They live in a per-machine file (default /var/lib/licd-client/standalone.json,
/// mode 0644 in a 0755 directory, written atomically; LICD_STANDALONE_FILE overrides it).
namespace licd::client {

/// A refusal: a wrong code or response, or a file that cannot be used (wrong_kind,
/// bad_signature, wrong_machine, not_found, unsafe_file, ...).
class standalone_error : public std::runtime_error {
public:
  standalone_error(engine::errc code, const std::string& message)
    : std::runtime_error(message), code_(code) {}
  engine::errc code() const { return code_; }

private:
  engine::errc code_;
};

/// One stored stand-alone license with where it stands on this machine.
struct standalone_license {
  engine::installed_license inst;
  engine::license_state state = engine::license_state::not_activated;
};

/// What the library needs to judge licenses here: the vendor keys the application trusts, the
/// machine, the day, and the fingerprint tolerance.
struct standalone_context {
  engine::key_ring keys;
  engine::machine_facts machine;
  int32_t today = 0;    ///< days since 1970-01-01
  size_t tolerance = 1; ///< hardware factors that may differ
};

class standalone_store {
public:
  /// The file to use: $LICD_STANDALONE_FILE, else /var/lib/licd-client/standalone.json.
  static std::string default_path();

  /// Reads the file if it exists. Throws standalone_error when it is unreadable, corrupt, or
  /// writable by others (unsafe_file).
  explicit standalone_store(std::string path = default_path());

  const std::string& path() const { return path_; }

  /// Verifies and stores a stand-alone code. Refuses network codes, codes of unknown keys,
  /// tampered codes and duplicates, each with its own message.
  engine::license add(std::string_view code, const standalone_context& ctx);

  /// The activation request for the product's (or license id's) first license that is not
  /// active here; the same request until it is answered.
  std::string request(const std::string& product_or_id, const standalone_context& ctx);

  /// Accepts the vendor's response to the current request for the product (or license id).
  engine::license activate(const std::string& product_or_id, std::string_view response,
                           const standalone_context& ctx);

  bool remove(const std::string& id);

  /// Every stored license with its state here.
  std::vector<standalone_license> list(const standalone_context& ctx) const;

private:
  struct entry {
    std::string code;
    int64_t added_at_ms = 0;
    uint64_t nonce = 0;
    std::string activation;
  };
  entry& pick(const std::string& product_or_id, const standalone_context& ctx);
  standalone_license judge(const entry& e, const standalone_context& ctx) const;
  void save() const;

  std::string path_;
  std::vector<entry> entries_;
};

/// What to do about a stand-alone license's state, in one sentence.
std::string standalone_advice(engine::license_state s, const std::string& product);

/// What an application asks before it starts: is there an active stand-alone license for this
/// product on this machine? Verifies signature, product, expiry and fingerprint offline.
struct standalone_verdict {
  bool ok = false;
  std::string message; ///< why not (or which license it was)
  engine::license lic;
};
standalone_verdict check_standalone(const std::string& product, const standalone_context& ctx,
                                    const std::string& path = standalone_store::default_path());

} // namespace licd::client
