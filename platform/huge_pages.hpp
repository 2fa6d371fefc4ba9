#pragma once

#include <cstddef>
#include <memory_resource>

namespace licd::platform {

/// A memory resource for big, long-lived tables (a pool's million leases): every allocation of
/// at least `threshold` bytes is its own anonymous mapping, 2 MiB-aligned, that the kernel is
/// asked to back with transparent huge pages (madvise MADV_HUGEPAGE, honoured in the default
/// `madvise` THP mode). Filling such memory takes one page fault per 2 MiB instead of one per
/// 4 KiB; on the VMs licd was measured on a 4 KiB fault costs about 12 us, and a restart with a
/// million leases spent most of its time in them (a profile, in the commit that added this). Smaller allocations go
/// to `upstream`. Thread-safe when `upstream` is.
class huge_page_resource final : public std::pmr::memory_resource {
public:
  static constexpr size_t huge_page = size_t{2} << 20;

  explicit huge_page_resource(
    size_t threshold = huge_page,
    std::pmr::memory_resource* upstream = std::pmr::new_delete_resource());

  size_t threshold() const { return threshold_; }

private:
  /// Whether upstream serves a block (deallocation must answer as allocation did).
  bool from_upstream(size_t bytes, size_t alignment) const {
    return bytes < threshold_ || alignment > huge_page;
  }
  void* do_allocate(size_t bytes, size_t alignment) override;
  void do_deallocate(void* p, size_t bytes, size_t alignment) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override;

  size_t threshold_;
  std::pmr::memory_resource* upstream_;
};

/// One process-wide huge_page_resource (2 MiB threshold, over new/delete).
huge_page_resource* huge_pages();

} // namespace licd::platform
