#include "platform/huge_pages.hpp"
#include "tests/counting_resource.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using licd::platform::huge_page_resource;

namespace {

/// The VmFlags line of the mapping that holds `p`, from /proc/self/smaps ("" if none).
std::string vm_flags_of(const void* p) {
  auto addr = reinterpret_cast<uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t from = 0;
    uintptr_t to = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> from >> dash >> to && dash == '-') {
      inside = from <= addr && addr < to;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0)
      return line;
  }
  return "";
}

} // namespace

TEST_CASE("huge-page memory: large blocks are aligned mappings advised for huge pages",
          "[platform][memory]") {
  licd::test::counting_resource upstream;
  huge_page_resource res(huge_page_resource::huge_page, &upstream);
  constexpr size_t size = 3 * huge_page_resource::huge_page + 12345;
  auto* p = static_cast<char*>(res.allocate(size, alignof(std::max_align_t)));
  REQUIRE(p != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(p) % huge_page_resource::huge_page == 0);
  std::memset(p, 0xab, size); // all of it is writable
  CHECK(static_cast<unsigned char>(p[size - 1]) == 0xab);
  // "hg": the kernel recorded MADV_HUGEPAGE for the mapping (whether THP then backs it is the
  // system's setting). A kernel built without THP refuses the advice; the memory still works.
  auto flags = vm_flags_of(p);
  CHECK_FALSE(flags.empty());
  if (std::filesystem::exists("/sys/kernel/mm/transparent_hugepage"))
    CHECK(flags.find(" hg") != std::string::npos);
  else
    WARN("this kernel has no transparent huge pages: the advice is not checked");
  CHECK(upstream.allocations == 0); // not from upstream
  res.deallocate(p, size, alignof(std::max_align_t));
  CHECK(vm_flags_of(p).empty()); // unmapped
}

TEST_CASE("huge-page memory: small blocks and odd alignments go upstream",
          "[platform][memory]") {
  licd::test::counting_resource upstream;
  huge_page_resource res(huge_page_resource::huge_page, &upstream);
  auto* small = res.allocate(4096, 8);
  CHECK(upstream.allocations == 1);
  CHECK(upstream.bytes_out == 4096);
  res.deallocate(small, 4096, 8);
  CHECK(upstream.deallocations == 1);
  CHECK(upstream.bytes_out == 0);
  CHECK(res.is_equal(res));
  huge_page_resource other;
  CHECK_FALSE(res.is_equal(other));
}
