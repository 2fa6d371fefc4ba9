// The one error vocabulary: names, and docs/ERRORS.md held to the HTTP and exit tables.
#include "admin/http_status.hpp"
#include "engine/errc.hpp"
#include "engine/errc_json.hpp"
#include "tools/common/exit_status.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

using licd::engine::errc;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<errc> every_errc() {
  std::vector<errc> all;
  for (int i = 0; i <= static_cast<int>(errc::failed); ++i)
    all.push_back(static_cast<errc>(i));
  return all;
}

} // namespace

TEST_CASE("every error code reads back from its name, in any letter case", "[errors]") {
  for (auto e : every_errc()) {
    auto n = std::string(licd::engine::name(e));
    INFO(n);
    CHECK(licd::engine::errc_from_name(n) == e);
    std::string lower;
    for (char c : n)
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(licd::engine::errc_from_name(lower) == e);
  }
  CHECK_FALSE(licd::engine::errc_from_name("NO_SUCH_CODE"));
  CHECK_FALSE(licd::engine::errc_from_name(""));
}

TEST_CASE("errors have one JSON shape", "[errors]") {
  CHECK(licd::engine::error_json(errc::no_seats, "all 2 seats are in use").dump()
        == R"({"error":{"code":"NO_SEATS","message":"all 2 seats are in use"}})");
}

TEST_CASE("docs/ERRORS.md lists every code with its HTTP status and exit status", "[errors]") {
  auto doc = read(std::string(LICD_SOURCE_DIR) + "/docs/ERRORS.md");
  std::regex row(R"(\| `([A-Z_]+)` \| [^|]+ \| (\d+) \| (\d+) \|)");
  std::map<std::string, std::pair<int, int>> documented;
  for (std::sregex_iterator it(doc.begin(), doc.end(), row), end; it != end; ++it)
    documented[(*it)[1]] = {std::stoi((*it)[2]), std::stoi((*it)[3])};
  CHECK(documented.size() == every_errc().size());
  for (auto e : every_errc()) {
    auto n = std::string(licd::engine::name(e));
    INFO(n);
    REQUIRE(documented.count(n) == 1);
    CHECK(documented[n].first == licd::admin::http_status(e));
    CHECK(documented[n].second == licd::tools::exit_status(e));
  }
}

TEST_CASE("every code docs/PROTOCOL.md lists is one of licd's codes", "[errors]") {
  auto doc = read(std::string(LICD_SOURCE_DIR) + "/docs/PROTOCOL.md");
  auto table = doc.substr(doc.find("## Error codes"));
  std::regex row(R"(\n\| `([A-Z_]+)` \|)");
  size_t n = 0;
  for (std::sregex_iterator it(table.begin(), table.end(), row), end; it != end; ++it, ++n)
    CHECK(licd::engine::errc_from_name((*it)[1].str()));
  CHECK(n >= 16);
}
