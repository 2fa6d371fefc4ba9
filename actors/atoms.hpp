#pragma once

#include <caf/atom.hpp>

/// Every atom licd's actors exchange. CAF defines ok_atom, get_atom, ... itself: use those
/// as caf::ok_atom; never add `using namespace caf` next to these.
namespace licd {

using checkout_atom = caf::atom_constant<caf::atom("checkout")>;
using renew_atom = caf::atom_constant<caf::atom("renew")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using has_lease_atom = caf::atom_constant<caf::atom("has_lease")>;
using lapsed_atom = caf::atom_constant<caf::atom("lapsed")>;
using arm_atom = caf::atom_constant<caf::atom("arm")>;
using exp_tick_atom = caf::atom_constant<caf::atom("exp_tick")>;
using commit_atom = caf::atom_constant<caf::atom("commit")>;
using append_atom = caf::atom_constant<caf::atom("append")>;
using st_flush_atom = caf::atom_constant<caf::atom("st_flush")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using pool_atom = caf::atom_constant<caf::atom("pool")>;
using find_lease_atom = caf::atom_constant<caf::atom("find_lease")>;
using set_seats_atom = caf::atom_constant<caf::atom("set_seats")>;
using disconnect_atom = caf::atom_constant<caf::atom("disconnect")>;
using end_lease_atom = caf::atom_constant<caf::atom("end_lease")>;
using leases_atom = caf::atom_constant<caf::atom("leases")>;
using sessions_atom = caf::atom_constant<caf::atom("sessions")>;
using hello_atom = caf::atom_constant<caf::atom("s_hello")>;
using bye_atom = caf::atom_constant<caf::atom("s_bye")>;
using close_atom = caf::atom_constant<caf::atom("s_close")>;
using lic_add_atom = caf::atom_constant<caf::atom("lic_add")>;
using lic_remove_atom = caf::atom_constant<caf::atom("lic_remove")>;
using lic_list_atom = caf::atom_constant<caf::atom("lic_list")>;
using lic_request_atom = caf::atom_constant<caf::atom("lic_req")>;
using lic_activate_atom = caf::atom_constant<caf::atom("lic_act")>;
using lic_deactivate_atom = caf::atom_constant<caf::atom("lic_deact")>;
using lic_clock_atom = caf::atom_constant<caf::atom("lic_clock")>;
using shrink_atom = caf::atom_constant<caf::atom("shrink")>;
using hello_due_atom = caf::atom_constant<caf::atom("hello_due")>;
using idle_check_atom = caf::atom_constant<caf::atom("idle_chk")>;
using lic_tick_atom = caf::atom_constant<caf::atom("lic_tick")>;
using restore_atom = caf::atom_constant<caf::atom("restore")>;
using restored_atom = caf::atom_constant<caf::atom("restored")>;
using timer_atom = caf::atom_constant<caf::atom("timer")>;
using timer_tick_atom = caf::atom_constant<caf::atom("timer_tick")>;
using timer_off_atom = caf::atom_constant<caf::atom("timer_off")>;
using events_atom = caf::atom_constant<caf::atom("events")>;
using prune_atom = caf::atom_constant<caf::atom("prune")>;
using site_policy_atom = caf::atom_constant<caf::atom("site_pol")>;
using queued_atom = caf::atom_constant<caf::atom("queued")>;
using unqueue_atom = caf::atom_constant<caf::atom("unqueue")>;
using queue_atom = caf::atom_constant<caf::atom("queue")>;
using queue_due_atom = caf::atom_constant<caf::atom("queue_due")>;

} // namespace licd
