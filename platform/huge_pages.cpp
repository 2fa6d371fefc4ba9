#include "platform/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace licd::platform {

namespace {

size_t round_up(size_t n, size_t to) {
  return (n + to - 1) / to * to;
}

} // namespace

huge_page_resource::huge_page_resource(size_t threshold, std::pmr::memory_resource* upstream)
  : threshold_(threshold), upstream_(upstream) {
  // nop
}

void* huge_page_resource::do_allocate(size_t bytes, size_t alignment) {
  if (from_upstream(bytes, alignment))
    return upstream_->allocate(bytes, alignment);
  auto len = round_up(bytes, huge_page);
  // Map one huge page more than needed, then cut the unaligned head and the tail away, so the
  // kernel can back the whole range with 2 MiB pages.
  auto* raw = ::mmap(nullptr, len + huge_page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED)
    throw std::bad_alloc();
  auto start = reinterpret_cast<uintptr_t>(raw);
  auto aligned = round_up(start, huge_page);
  if (auto head = aligned - start; head > 0)
    ::munmap(raw, head);
  if (auto tail = huge_page - (aligned - start); tail > 0)
    ::munmap(reinterpret_cast<void*>(aligned + len), tail);
  auto* p = reinterpret_cast<void*>(aligned);
  ::madvise(p, len, MADV_HUGEPAGE); // advice only: without THP the memory still works
  return p;
}

void huge_page_resource::do_deallocate(void* p, size_t bytes, size_t alignment) {
  if (from_upstream(bytes, alignment)) {
    upstream_->deallocate(p, bytes, alignment);
    return;
  }
  ::munmap(p, round_up(bytes, huge_page));
}

bool huge_page_resource::do_is_equal(const std::pmr::memory_resource& other) const noexcept {
  return this == &other;
}

huge_page_resource* huge_pages() {
  static huge_page_resource instance;
  return &instance;
}

} // namespace licd::platform
