#include "bench/licbench/cpu_usage.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace licd::bench;

TEST_CASE("/proc/stat's cpu line gives the machine's ticks by kind", "[bench][cpu]") {
  auto t = parse_proc_stat("cpu  4594085 15 520713 1615622 47932 7 142674 226880 0 0\n"
                           "cpu0 2297042 0 260356 807811 23966 0 71337 113440 0 0\n"
                           "intr 123\n");
  REQUIRE(t);
  CHECK(t->user == 4594085 + 15);   // nice counts as user
  CHECK(t->system == 520713 + 7);   // hard interrupts count as system
  CHECK(t->idle == 1615622);
  CHECK(t->iowait == 47932);
  CHECK(t->softirq == 142674);
  CHECK(t->steal == 226880);
  CHECK(t->total() == 4594100 + 520720 + 1615622 + 47932 + 142674 + 226880);

  auto old_kernel = parse_proc_stat("cpu 10 0 20 30 0 0 5\n"); // no steal column
  REQUIRE(old_kernel);
  CHECK(old_kernel->steal == 0);
  CHECK(old_kernel->softirq == 5);

  CHECK_FALSE(parse_proc_stat(""));
  CHECK_FALSE(parse_proc_stat("cpu0 1 2 3 4 5 6 7 8\n")); // a core's line, not the machine's
  CHECK_FALSE(parse_proc_stat("cpu 1 2 x 4 5 6 7\n"));
}

TEST_CASE("a process's ticks come from after its command name, whatever it holds",
          "[bench][cpu]") {
  // Fields 14 and 15 (utime, stime) counted from the last ')'; a name with ") (" and spaces.
  const char* line = "4242 (we) ird (name) S 1 4242 4242 0 -1 4194560 918 0 0 0 1234 567 0 0 20 "
                     "0 3 0 100 1000 200\n";
  auto t = parse_process_ticks(line);
  REQUIRE(t);
  CHECK(*t == 1234 + 567);
  CHECK_FALSE(parse_process_ticks("4242 (licd) S 1 2 3"));  // cut short
  CHECK_FALSE(parse_process_ticks("no parentheses at all"));
}

TEST_CASE("usage between two snapshots is in cores over the time between them", "[bench][cpu]") {
  cpu_snapshot a, b;
  a.at_ns = 1'000'000'000;
  b.at_ns = 3'000'000'000; // 2 s later
  machine_ticks m0, m1;
  m1.user = 200;   // 1 core for 2 s at 100 ticks/s
  m1.system = 60;
  m1.softirq = 40;
  m1.idle = 60;
  m1.steal = 40;   // 0.2 cores: a tenth of a 2-core machine
  a.machine = m0;
  b.machine = m1;
  a.server = 1000;
  b.server = 1150; // 0.75 cores
  a.self = 10;
  b.self = 60;     // 0.25 cores
  auto u = usage_between(a, b, 100);
  CHECK(u.seconds == Approx(2.0));
  CHECK(u.user == Approx(1.0));
  CHECK(u.system == Approx(0.3));
  CHECK(u.softirq == Approx(0.2));
  CHECK(u.idle == Approx(0.3));
  CHECK(u.steal == Approx(0.2));
  CHECK(u.iowait == Approx(0.0));
  CHECK(u.machine_cores == Approx(2.0));
  CHECK(u.steal_share() == Approx(0.1));
  CHECK(u.server == Approx(0.75));
  CHECK(u.licbench == Approx(0.25));

  SECTION("what a snapshot lacks stays unknown") {
    b.server.reset();
    a.machine.reset();
    auto v = usage_between(a, b, 100);
    CHECK(v.server < 0);
    CHECK(v.machine_cores < 0);
    CHECK(v.steal_share() < 0);
    CHECK(v.licbench == Approx(0.25));
  }
  SECTION("a counter that went backwards (another process with the pid) is unknown") {
    b.server = 5;
    CHECK(usage_between(a, b, 100).server < 0);
  }
}

TEST_CASE("this machine's snapshot reads /proc", "[bench][cpu]") {
  auto s = take_cpu_snapshot(static_cast<int>(::getpid()));
  REQUIRE(s.machine);
  CHECK(s.machine->total() > 0);
  CHECK(s.server); // this process stands in for the server
  CHECK(s.self);
  CHECK_FALSE(take_cpu_snapshot(0).server);
}
