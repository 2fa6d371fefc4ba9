#include "net/line_splitter.hpp"

namespace licd::net {

void line_splitter::feed(std::string_view bytes, const handler& h) {
  while (!bytes.empty()) {
    auto lf = bytes.find('\n');
    auto chunk = bytes.substr(0, lf);
    if (discarding_) {
      if (lf == std::string_view::npos)
        return; // still inside the oversized line
      discarding_ = false;
      bytes.remove_prefix(lf + 1);
      continue;
    }
    // Allow one byte more than the limit while unterminated: it may be the CR of a CRLF.
    if (buf_.size() + chunk.size() > max_line_ + 1) {
      buf_.clear();
      h.on_too_long();
      if (lf == std::string_view::npos) {
        discarding_ = true;
        return;
      }
      bytes.remove_prefix(lf + 1);
      continue;
    }
    if (lf == std::string_view::npos) {
      buf_.append(chunk);
      return;
    }
    std::string_view line;
    if (buf_.empty()) {
      line = chunk;
    } else {
      buf_.append(chunk);
      line = buf_;
    }
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.size() > max_line_)
      h.on_too_long();
    else
      h.on_line(line);
    buf_.clear();
    bytes.remove_prefix(lf + 1);
  }
}

} // namespace licd::net
