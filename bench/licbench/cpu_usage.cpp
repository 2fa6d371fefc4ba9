#include "bench/licbench/cpu_usage.hpp"
#include "bench/licbench/proc_file.hpp"

#include <chrono>
#include <sstream>
#include <string>

namespace licd::bench {

std::optional<machine_ticks> parse_proc_stat(std::string_view text) {
  // The aggregate line comes first: "cpu  user nice system idle iowait irq softirq steal ...".
  auto eol = text.find('\n');
  std::istringstream line(std::string(text.substr(0, eol)));
  std::string label;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(line >> label) || label != "cpu"
      || !(line >> user >> nice >> system >> idle >> iowait >> irq >> softirq))
    return std::nullopt;
  if (!(line >> steal)) // kernels before 2.6.11 have no steal column
    steal = 0;
  machine_ticks t;
  t.user = user + nice;
  t.system = system + irq;
  t.softirq = softirq;
  t.iowait = iowait;
  t.idle = idle;
  t.steal = steal;
  return t;
}

std::optional<uint64_t> parse_process_ticks(std::string_view stat_line) {
  // "PID (COMM) STATE PPID ..." where COMM may hold anything: fields count from the last ')'.
  auto close = stat_line.rfind(')');
  if (close == std::string_view::npos)
    return std::nullopt;
  std::istringstream rest(std::string(stat_line.substr(close + 1)));
  // After COMM: state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  // utime(14) stime(15).
  std::string field;
  for (int i = 3; i <= 13; ++i)
    if (!(rest >> field))
      return std::nullopt;
  uint64_t utime = 0, stime = 0;
  if (!(rest >> utime >> stime))
    return std::nullopt;
  return utime + stime;
}

cpu_snapshot take_cpu_snapshot(int server_pid) {
  cpu_snapshot s;
  s.at_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
              std::chrono::steady_clock::now().time_since_epoch())
              .count();
  s.machine = parse_proc_stat(read_proc_file("/proc/stat"));
  if (server_pid > 0)
    s.server =
      parse_process_ticks(read_proc_file("/proc/" + std::to_string(server_pid) + "/stat"));
  s.self = parse_process_ticks(read_proc_file("/proc/self/stat"));
  return s;
}

cpu_usage usage_between(const cpu_snapshot& from, const cpu_snapshot& to,
                        long ticks_per_second) {
  cpu_usage u;
  u.seconds = static_cast<double>(to.at_ns - from.at_ns) / 1e9;
  if (u.seconds <= 0 || ticks_per_second <= 0)
    return u;
  auto cores = [&](uint64_t a, uint64_t b) {
    return b >= a ? static_cast<double>(b - a) / static_cast<double>(ticks_per_second) / u.seconds
                  : -1.0;
  };
  if (from.machine && to.machine) {
    const auto &a = *from.machine, &b = *to.machine;
    u.user = cores(a.user, b.user);
    u.system = cores(a.system, b.system);
    u.softirq = cores(a.softirq, b.softirq);
    u.iowait = cores(a.iowait, b.iowait);
    u.idle = cores(a.idle, b.idle);
    u.steal = cores(a.steal, b.steal);
    u.machine_cores = cores(a.total(), b.total());
  }
  if (from.server && to.server)
    u.server = cores(*from.server, *to.server);
  if (from.self && to.self)
    u.licbench = cores(*from.self, *to.self);
  return u;
}

} // namespace licd::bench
