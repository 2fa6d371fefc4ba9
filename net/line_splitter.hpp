#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace licd::net {

/// Cuts a byte stream into lines, incrementally and without I/O (a good / too-long / need-more
/// state machine, tested without sockets). A line ends at LF; a CR before it is dropped.
/// A line longer than the limit is reported once as too long and skipped up to its LF, so one
/// oversized request never ends the connection or the lines after it.
class line_splitter {
public:
  /// `max_line` counts the bytes before the LF (and before a CR ahead of it).
  explicit line_splitter(size_t max_line) : max_line_(max_line) {}

  struct handler {
    std::function<void(std::string_view line)> on_line;
    std::function<void()> on_too_long;
  };

  /// Feeds bytes; calls the handler for every complete line or oversized line in them.
  void feed(std::string_view bytes, const handler& h);

  /// Bytes held for a line that has not ended yet.
  size_t buffered() const { return buf_.size(); }

private:
  size_t max_line_;
  std::string buf_;
  bool discarding_ = false;
};

} // namespace licd::net
