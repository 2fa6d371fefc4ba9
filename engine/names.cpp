#include "engine/names.hpp"

namespace licd::engine {

namespace {

bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

} // namespace

bool valid_product_name(std::string_view name) {
  if (name.empty() || name.size() > max_product_name)
    return false;
  if (!is_alnum(static_cast<unsigned char>(name.front())))
    return false;
  for (unsigned char c : name)
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-')
      return false;
  return true;
}

bool valid_identity_name(std::string_view name) {
  if (name.empty() || name.size() > max_identity_name)
    return false;
  for (unsigned char c : name)
    if (c <= 0x20 || c == 0x7F || c == '=')
      return false;
  return true;
}

} // namespace licd::engine
