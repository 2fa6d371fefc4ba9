#include "fuzz/targets.hpp"

#include "client/config.hpp"
#include "engine/activation.hpp"
#include "engine/license_code.hpp"
#include "net/discovery.hpp"
#include "net/line_splitter.hpp"
#include "net/protocol.hpp"
#include "net/replies.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace licd::fuzz {

namespace {

std::string_view view(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

/// A fixed vendor key, so that signatures are checked (and fail) on the real path.
const engine::key_ring& ring() {
  static const engine::key_ring keys = [] {
    auto key = engine::ed25519::private_key::generate();
    return engine::key_ring{{key.public_part().key_id(), key.public_part()}};
  }();
  return keys;
}

} // namespace

void protocol(const uint8_t* data, size_t size) {
  auto text = view(data, size);
  net::line_splitter splitter(net::protocol::max_line);
  net::line_splitter::handler h;
  size_t lines = 0;
  h.on_line = [&](std::string_view line) {
    ++lines;
    auto r = net::protocol::parse_request(line);
    if (auto* req = std::get_if<net::protocol::request>(&r))
      (void)net::protocol::format_ok(req->id, {});
    (void)net::protocol::parse_reply(line);
  };
  h.on_too_long = [] {};
  // Fed in two pieces, as the network would.
  splitter.feed(text.substr(0, size / 2), h);
  splitter.feed(text.substr(size / 2), h);
  (void)net::discovery::parse_query(text);
  if (auto a = net::discovery::parse_answer(text)) {
    auto again = net::discovery::parse_answer(net::discovery::format(*a));
    if (!again || again->port != a->port || again->products.size() > a->products.size())
      throw std::logic_error("a discovery answer does not survive a round trip");
  }
}

namespace {

/// Format what read(reply) gave, read it back: it must be the same value.
template <class Read>
void round_trip(const net::protocol::reply& r, Read read) {
  auto typed = read(r);
  if (!typed)
    return;
  auto again = net::protocol::parse_reply(net::protocol::format(r.id, *typed));
  if (!again || again->id != r.id || !(read(*again) == typed))
    throw std::logic_error("a reply does not survive a round trip");
}

} // namespace

void replies(const uint8_t* data, size_t size) {
  auto text = view(data, size);
  if (text.find('\n') != std::string_view::npos)
    return; // one line
  auto r = net::protocol::parse_reply(text);
  if (!r)
    return;
  round_trip(*r, net::protocol::read_hello);
  round_trip(*r, net::protocol::read_checkout);
  round_trip(*r, net::protocol::read_renew);
  round_trip(*r, net::protocol::read_release);
  round_trip(*r, net::protocol::read_status);
}

void codes(const uint8_t* data, size_t size) {
  auto text = view(data, size);
  if (auto d = engine::decode_code(text); auto* code = std::get_if<engine::decoded_code>(&d)) {
    // What decodes re-encodes to the same canonical text.
    auto again = engine::decode_code(code->canonical);
    if (std::get_if<engine::decoded_code>(&again) == nullptr)
      throw std::logic_error("a decoded code's canonical form does not decode");
  }
  (void)engine::check_code(text, ring());
  (void)engine::check_code_of_type(text, ring(), engine::license_type::standalone);
  if (auto r = engine::decode_request(text); auto* req = std::get_if<engine::activation_request>(&r))
    (void)engine::decode_request(engine::encode_request(*req));
  (void)engine::check_response(text, ring());
  (void)engine::check_receipt(text, ring());
}

void config(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto cfg = client::parse_mode_config(text, "fuzz.conf");
    for (const auto& [product, mode] : cfg.products)
      if (mode.mode != "network" && mode.mode != "standalone")
        throw std::logic_error("a mode other than network or standalone was accepted");
  } catch (const std::runtime_error&) {
    // a refused config: fine
  }
  try {
    (void)client::parse_server_list(text);
  } catch (const std::invalid_argument&) {
  }
}

} // namespace licd::fuzz
