#include "net/protocol.hpp"

#include "engine/names.hpp"

#include <array>
#include <cctype>
#include <charconv>

namespace licd::net::protocol {

namespace {

struct command_name {
  std::string_view name;
  command cmd;
};

constexpr std::array<command_name, 7> command_names = {{{"HELLO", command::hello},
                                                        {"CHECKOUT", command::checkout},
                                                        {"RENEW", command::renew},
                                                        {"RELEASE", command::release},
                                                        {"STATUS", command::status},
                                                        {"PING", command::ping},
                                                        {"QUIT", command::quit}}};

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  words.reserve(8); // every well-formed request fits: one allocation per line, not three or four
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t')
      ++i;
    if (i > start)
      words.push_back(line.substr(start, i - start));
  }
  return words;
}

bool equals_upper(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size())
    return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(word[i])) != upper[i])
      return false;
  return true;
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > max_request_id)
    return false;
  for (unsigned char c : id)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

parse_error fail(std::string id, std::string message) {
  return parse_error{std::move(id), error_code::bad_request, std::move(message)};
}

/// Fills the request from the words after the id; returns an error message or "".
std::string fill_arguments(request& req, const std::vector<std::string_view>& args) {
  std::vector<std::string_view> positional;
  for (auto word : args) {
    auto eq = word.find('=');
    if (eq == std::string_view::npos) {
      positional.push_back(word);
      continue;
    }
    auto key = word.substr(0, eq);
    auto value = word.substr(eq + 1);
    bool identity_key = key == "computer" || key == "user" || key == "instance";
    bool allowed = (identity_key && (req.cmd == command::hello || req.cmd == command::checkout))
                   || (key == "version" && req.cmd == command::hello)
                   || (key == "wait" && req.cmd == command::checkout)
                   || (key == "queue" && req.cmd == command::status);
    if (!allowed)
      return "unexpected option '" + std::string(key) + "'";
    if (key == "wait") {
      uint32_t s = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), s);
      if (ec != std::errc{} || ptr != value.data() + value.size() || value.empty()
          || s > max_wait_seconds)
        return "wait must be a number of seconds from 0 to " + std::to_string(max_wait_seconds);
      req.wait = s;
      continue;
    }
    if (key == "queue") {
      if (!valid_request_id(value))
        return "queue names a request id: 1-32 of A-Z a-z 0-9 . _ -";
      req.queue = std::string(value);
      continue;
    }
    if (key == "version") {
      int v = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc{} || ptr != value.data() + value.size() || value.empty())
        return "version must be a number";
      req.version = v;
      continue;
    }
    if (!engine::valid_identity_name(value))
      return std::string(key)
             + " must be 1-128 bytes of valid UTF-8 without spaces, control characters or '='";
    std::string v(value);
    if (key == "computer")
      req.computer = std::move(v);
    else if (key == "user")
      req.user = std::move(v);
    else
      req.instance = std::move(v);
  }
  switch (req.cmd) {
    case command::hello:
      if (!positional.empty())
        return "HELLO takes only version=, computer=, user= and instance=";
      if (!req.version)
        return "HELLO needs version=";
      if (!req.computer || !req.user)
        return "HELLO needs computer= and user=";
      return "";
    case command::checkout:
    case command::status: {
      bool is_status = req.cmd == command::status;
      if (positional.size() != 1 && !(is_status && positional.empty()))
        return is_status ? "STATUS takes at most one product" : "CHECKOUT needs exactly one product";
      if (req.queue && !positional.empty())
        return "STATUS queue= takes no product";
      if (!positional.empty()) {
        if (!engine::valid_product_name(positional[0]))
          return "product names are 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit";
        req.product = std::string(positional[0]);
      }
      return "";
    }
    case command::renew:
    case command::release:
      if (positional.size() != 1)
        return "needs exactly one lease id";
      req.lease = engine::lease_id::from_hex(positional[0]);
      if (!req.lease)
        return "a lease id is 32 hex digits";
      return "";
    case command::ping:
    case command::quit:
      if (!positional.empty())
        return "takes no arguments";
      return "";
  }
  return "";
}

} // namespace

std::variant<request, parse_error> parse_request(std::string_view line) {
  for (unsigned char c : line)
    if (c < 0x20 && c != '\t')
      return fail("-", "control characters are not allowed");
  auto words = split_words(line);
  if (words.empty())
    return fail("-", "empty request");
  if (words.size() < 2)
    return fail("-", "a request is: COMMAND ID [ARGUMENTS]");
  if (!valid_request_id(words[1]))
    return fail("-", "a request id is 1-32 of A-Z a-z 0-9 . _ -");
  std::string id(words[1]);
  request req;
  req.id = id;
  bool known = false;
  for (const auto& c : command_names) {
    if (equals_upper(words[0], c.name)) {
      req.cmd = c.cmd;
      known = true;
      break;
    }
  }
  if (!known)
    return parse_error{id, error_code::unknown_command,
                       "unknown command; known: HELLO CHECKOUT RENEW RELEASE STATUS PING QUIT"};
  auto command_word = words[0];
  words.erase(words.begin(), words.begin() + 2); // the arguments, without copying them
  auto problem = fill_arguments(req, words);
  if (!problem.empty())
    return fail(std::move(id), std::string(command_word) + ": " + problem);
  return req;
}

std::string format_ok(std::string_view id, const std::vector<field>& fields) {
  ok_line line(id);
  for (const auto& [key, value] : fields)
    line.add(key, value);
  return line.take();
}

ok_line::ok_line(std::string_view id, std::string_view word) {
  out_.reserve(128); // a checkout's reply fits
  out_.append(word);
  out_.push_back(' ');
  out_.append(id);
}

ok_line& ok_line::add(std::string_view key, std::string_view value) {
  out_.push_back(' ');
  out_.append(key);
  out_.push_back('=');
  out_.append(value);
  return *this;
}

ok_line& ok_line::add(std::string_view key, uint64_t value) {
  char digits[20];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  (void)ec; // 20 digits hold any uint64_t
  return add(key, std::string_view(digits, static_cast<size_t>(end - digits)));
}

std::string format_error(std::string_view id, error_code code, std::string_view message) {
  std::string out = "ERR ";
  out.append(id);
  out.push_back(' ');
  out.append(to_string(code));
  out.push_back(' ');
  for (char c : message) // no control characters in a reply (parse_reply refuses them)
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  if (out.size() > max_line)
    out.resize(max_line);
  return out;
}

std::optional<std::string> reply::get(std::string_view key) const {
  for (const auto& [k, v] : fields)
    if (k == key)
      return v;
  return std::nullopt;
}

std::optional<reply> parse_reply(std::string_view line) {
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  // A server sends no control characters; one inside a reply (a CR before the end, found by the
  // replies fuzzer) would not survive formatting the reply again.
  for (unsigned char c : line)
    if (c < 0x20 || c == 0x7f)
      return std::nullopt;
  auto words = split_words(line);
  if (words.size() < 2)
    return std::nullopt;
  reply r;
  r.id = std::string(words[1]);
  if (words[0] == "OK" || words[0] == "QUEUED") {
    r.ok = words[0] == "OK";
    r.queued = !r.ok;
    for (size_t i = 2; i < words.size(); ++i) {
      auto eq = words[i].find('=');
      if (eq == std::string_view::npos)
        r.fields.emplace_back(std::string(words[i]), "");
      else
        r.fields.emplace_back(std::string(words[i].substr(0, eq)),
                              std::string(words[i].substr(eq + 1)));
    }
    return r;
  }
  if (words[0] != "ERR" || words.size() < 3)
    return std::nullopt;
  r.code = std::string(words[2]);
  // The message is everything after the code, as sent.
  auto code_pos = line.find(words[2], static_cast<size_t>(words[1].data() + words[1].size() - line.data()));
  auto rest = line.substr(code_pos + words[2].size());
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  r.message = std::string(rest);
  return r;
}

} // namespace licd::net::protocol
