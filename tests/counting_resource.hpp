#pragma once

#include <cstddef>
#include <memory_resource>

namespace licd::test {

/// A memory resource that counts what passes through it to new/delete.
class counting_resource final : public std::pmr::memory_resource {
public:
  size_t allocations = 0;
  size_t deallocations = 0;
  size_t bytes_out = 0; ///< allocated and not yet deallocated

private:
  void* do_allocate(size_t bytes, size_t alignment) override {
    ++allocations;
    bytes_out += bytes;
    return std::pmr::new_delete_resource()->allocate(bytes, alignment);
  }
  void do_deallocate(void* p, size_t bytes, size_t alignment) override {
    ++deallocations;
    bytes_out -= bytes;
    std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
  }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

} // namespace licd::test
