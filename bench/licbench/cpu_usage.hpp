#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace licd::bench {

/// The whole machine's CPU time since boot, from the first line of /proc/stat, in clock ticks
/// summed over all cores.
struct machine_ticks {
  uint64_t user = 0; ///< user and nice
  uint64_t system = 0; ///< system and hard interrupts
  uint64_t softirq = 0; ///< soft interrupts: on loopback, most of TCP's receive side
  uint64_t iowait = 0;
  uint64_t idle = 0;
  uint64_t steal = 0; ///< time the hypervisor gave this machine's virtual cores to others
  uint64_t total() const { return user + system + softirq + iowait + idle + steal; }
};

/// Parses /proc/stat's aggregate `cpu` line; nullopt when the text has none.
std::optional<machine_ticks> parse_proc_stat(std::string_view text);

/// A process's user plus system CPU time in clock ticks from its /proc/PID/stat line (the
/// command name in parentheses may hold spaces and parentheses); nullopt when malformed.
std::optional<uint64_t> parse_process_ticks(std::string_view stat_line);

/// What licbench reads at the start and the end of the measured phase.
struct cpu_snapshot {
  std::optional<machine_ticks> machine;
  std::optional<uint64_t> server; ///< the server's ticks (when its pid is known and readable)
  std::optional<uint64_t> self;   ///< licbench's own ticks
  int64_t at_ns = 0;              ///< steady clock
};

/// Reads /proc now; `server_pid` 0 leaves `server` empty.
cpu_snapshot take_cpu_snapshot(int server_pid);

/// CPU use between two snapshots, in cores (1.0: one core busy the whole time); a value the
/// snapshots could not give is negative.
struct cpu_usage {
  double seconds = 0;
  double machine_cores = -1; ///< the cores that /proc/stat accounted for (idle and steal too)
  double user = -1, system = -1, softirq = -1, iowait = -1, idle = -1, steal = -1;
  double server = -1;
  double licbench = -1;
  /// The share of the machine that the hypervisor took (0..1; negative when unknown).
  double steal_share() const { return machine_cores > 0 ? steal / machine_cores : -1; }
};

/// `ticks_per_second`: sysconf(_SC_CLK_TCK).
cpu_usage usage_between(const cpu_snapshot& from, const cpu_snapshot& to, long ticks_per_second);

/// Steal above this share of the machine makes licbench warn that the run is not comparable.
inline constexpr double steal_warning_share = 0.05;

} // namespace licd::bench
