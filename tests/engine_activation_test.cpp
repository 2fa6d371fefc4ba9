#include "engine/activation.hpp"
#include "engine/license_set.hpp"

#include <catch2/catch.hpp>

using namespace licd::engine;

namespace {

machine_facts machine_a() {
  return {"3d1219c7c4c5404aaa1f6d2a48adfda4", "4c4c4544-0042-3510-8052-b4c04f4b4e32", "build-01",
          {"02:fc:00:00:00:01", "02:fc:00:00:00:02"}};
}

/// Another machine: every factor differs.
machine_facts machine_b() {
  return {"9e0f1d2c3b4a59687766554433221100", "00000000-1111-2222-3333-444444444444", "other-07",
          {"0a:0b:0c:0d:0e:0f"}};
}

struct vendor {
  ed25519::private_key key = ed25519::private_key::generate();
  key_ring ring() const { return {{key.public_part().key_id(), key.public_part()}}; }
};

activation_request request_for(uint64_t license_id, const machine_facts& facts,
                               const ed25519::private_key& server, uint64_t nonce = 42) {
  activation_request r;
  r.license_id = license_id;
  r.nonce = nonce;
  r.product = "cad";
  r.requester_key = server.public_part().raw();
  r.factors = fingerprint_of(facts, license_id);
  return r;
}

template <class T>
T accepted(std::variant<T, code_error> r) {
  if (auto* e = std::get_if<code_error>(&r))
    FAIL("refused: " << e->message);
  return std::get<T>(std::move(r));
}

template <class T>
code_error refused(std::variant<T, code_error> r) {
  REQUIRE(std::holds_alternative<code_error>(r));
  return std::get<code_error>(r);
}

} // namespace

TEST_CASE("each fact is a separately hashed factor, salted per license", "[engine][fingerprint]") {
  auto fp = fingerprint_of(machine_a(), 1);
  REQUIRE(fp.size() == 5); // machine-id, DMI UUID, two MACs, hostname
  CHECK(fp[0].kind == factor_kind::machine_id);
  CHECK(fp[1].kind == factor_kind::dmi_uuid);
  CHECK(fp[2].kind == factor_kind::mac);
  CHECK(fp[4].kind == factor_kind::hostname);
  CHECK(fp == fingerprint_of(machine_a(), 1));
  auto other_salt = fingerprint_of(machine_a(), 2);
  for (size_t i = 0; i < fp.size(); ++i)
    CHECK(fp[i].hash != other_salt[i].hash);
  // Case and blanks do not matter; missing facts make no factor.
  auto shouted = machine_a();
  shouted.hostname = " BUILD-01\n";
  shouted.macs = {"02:FC:00:00:00:02", "02:FC:00:00:00:01"};
  CHECK(fingerprint_of(shouted, 1) == fp);
  auto container = machine_a();
  container.dmi_uuid.clear();
  container.macs.clear();
  CHECK(fingerprint_of(container, 1).size() == 2);
}

TEST_CASE("one changed factor still matches with the default tolerance, two do not",
          "[engine][fingerprint]") {
  auto bound = fingerprint_of(machine_a(), 7);
  auto same = match(bound, fingerprint_of(machine_a(), 7), 1);
  CHECK(same.ok());
  CHECK(same.matched == 5);
  CHECK(same.required == 4);

  auto new_nic = machine_a();
  new_nic.macs[1] = "02:fc:00:00:00:99";
  CHECK(match(bound, fingerprint_of(new_nic, 7), 1).ok());

  auto renamed_too = new_nic;
  renamed_too.hostname = "build-02";
  auto two = match(bound, fingerprint_of(renamed_too, 7), 1);
  CHECK_FALSE(two.ok());
  CHECK(two.matched == 3);
  CHECK(match(bound, fingerprint_of(renamed_too, 7), 2).ok()); // a looser site setting

  CHECK_FALSE(match(bound, fingerprint_of(machine_b(), 7), 1).ok());
  // An added network card is no mismatch.
  auto more = machine_a();
  more.macs.push_back("02:fc:00:00:00:03");
  CHECK(match(bound, fingerprint_of(more, 7), 0).ok());
  // At least one factor must match, whatever the tolerance.
  CHECK_FALSE(match(bound, fingerprint_of(machine_b(), 7), 10).ok());
}

TEST_CASE("an activation round trip: request, signed response, check", "[engine][activation]") {
  vendor v;
  auto server = ed25519::private_key::generate();
  auto req = request_for(0xabcdef, machine_a(), server);
  auto text = encode_request(req);
  CHECK(text.rfind("LICD-", 0) == 0);
  auto back = accepted(decode_request(text));
  CHECK(back.license_id == 0xabcdef);
  CHECK(back.nonce == 42);
  CHECK(back.product == "cad");
  CHECK(back.requester_key == server.public_part().raw());
  CHECK(back.factors == req.factors);

  auto resp = accepted(check_response(issue_response(back, v.key, 20000), v.ring()));
  CHECK(resp.license_id == 0xabcdef);
  CHECK(resp.nonce == 42);
  CHECK(resp.issued_day == 20000);
  CHECK(resp.key_id == v.key.public_part().key_id());
  CHECK(resp.factors == req.factors);
  CHECK(resp.requester_key == req.requester_key);
}

TEST_CASE("a cluster's activation binds every node's machine, and any of them matches",
          "[engine][activation][cluster]") {
  vendor v;
  auto server = ed25519::private_key::generate();
  auto third = machine_b();
  third.machine_id = "77777777777777777777777777777777";
  third.hostname = "lic3";
  third.macs = {"0a:00:00:00:00:03"};
  std::vector<fingerprint> machines{fingerprint_of(machine_a(), 9), fingerprint_of(machine_b(), 9),
                                    fingerprint_of(third, 9)};
  auto req = request_for(9, machine_a(), server);
  req.factors = cluster_fingerprint(machines);
  CHECK(req.factors.size() == machines[0].size() + machines[1].size() + machines[2].size() + 3);
  CHECK(machines_of(req.factors) == machines);
  // Through the codes and the vendor's signature, unchanged.
  auto resp = accepted(check_response(
    issue_response(accepted(decode_request(encode_request(req))), v.key, 20000), v.ring()));
  REQUIRE(resp.factors == req.factors);
  for (const auto& m : {machine_a(), machine_b(), third}) {
    auto here = match(resp.factors, fingerprint_of(m, 9), 1);
    CHECK(here.ok());
    CHECK(here.machines == 3);
    CHECK(here.matched == here.total); // counted against that machine's own factors
  }
  // A machine that is none of them does not match; nor does a mix of two of them.
  machine_facts stranger{"00000000000000000000000000000001", "", "stranger", {"0a:ff:ff:ff:ff:ff"}};
  CHECK_FALSE(match(resp.factors, fingerprint_of(stranger, 9), 1).ok());
  // (2 of a's 5 factors and 2 of b's 4: each machine on its own is too far off.)
  auto mix = machine_a();
  mix.dmi_uuid = machine_b().dmi_uuid;
  mix.hostname = machine_b().hostname;
  mix.macs = {machine_a().macs[0]};
  CHECK_FALSE(match(resp.factors, fingerprint_of(mix, 9), 1).ok());
  // One machine's fingerprint stays as it always was: no marker.
  CHECK(cluster_fingerprint({machines[0]}) == machines[0]);
  CHECK(match(machines[0], machines[0], 1).machines == 1);
}

TEST_CASE("a tampered or foreign response is refused", "[engine][activation]") {
  vendor v, stranger;
  auto server = ed25519::private_key::generate();
  auto resp = issue_response(request_for(5, machine_a(), server), v.key, 20000);
  CHECK(refused(check_response(resp, stranger.ring())).problem == errc::unknown_key);
  auto tampered = resp;
  auto pos = tampered.size() - 80; // inside the signed record
  tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
  auto e = refused(check_response(tampered, v.ring()));
  CHECK((e.problem == errc::bad_signature || e.problem == errc::malformed));
}

TEST_CASE("each kind of code is refused where another is expected, saying what it is",
          "[engine][activation]") {
  vendor v;
  auto server = ed25519::private_key::generate();
  auto req = encode_request(request_for(5, machine_a(), server));
  license l;
  l.id = 5;
  l.product = "cad";
  l.seats = 2;
  auto code = issue_code(l, v.key);

  auto e1 = refused(check_code(req, v.ring()));
  CHECK(e1.problem == errc::wrong_kind);
  CHECK_THAT(e1.message, Catch::Contains("activation request"));
  auto e2 = refused(check_response(code, v.ring()));
  CHECK(e2.problem == errc::wrong_kind);
  CHECK_THAT(e2.message, Catch::Contains("network license code"));
  auto parsed = accepted(decode_request(req));
  auto e3 = refused(decode_request(issue_response(parsed, v.key, 1)));
  CHECK_THAT(e3.message, Catch::Contains("activation response"));
}

TEST_CASE("network and stand-alone codes are each refused where the other belongs",
          "[engine][license]") {
  vendor v;
  license l;
  l.id = 9;
  l.product = "cad";
  l.seats = 1;
  auto network = issue_code(l, v.key);
  l.type = license_type::standalone;
  auto standalone = issue_code(l, v.key);

  auto s = accepted(check_code(standalone, v.ring()));
  CHECK(s.type == license_type::standalone);
  CHECK(s.activation_required); // a stand-alone license is always bound to one machine
  CHECK_FALSE(accepted(check_code(network, v.ring())).activation_required);

  auto on_server = refused(check_code_of_type(standalone, v.ring(), license_type::network));
  CHECK(on_server.problem == errc::wrong_kind);
  CHECK_THAT(on_server.message, Catch::Contains("stand-alone license code"));
  auto on_desk = refused(check_code_of_type(network, v.ring(), license_type::standalone));
  CHECK_THAT(on_desk.message, Catch::Contains("network license code"));
  CHECK(accepted(check_code_of_type(network, v.ring(), license_type::network)).id == 9);
}

TEST_CASE("the activation-required flag is signed with the code", "[engine][license]") {
  vendor v;
  license l;
  l.id = 11;
  l.product = "cad";
  l.seats = 3;
  l.activation_required = true;
  auto code = issue_code(l, v.key);
  CHECK(accepted(check_code(code, v.ring())).activation_required);
  // Clearing the flag (the 5th byte: symbols 7-8 of the record) breaks the signature.
  auto d = std::get<decoded_code>(decode_code(code));
  auto rec = d.signed_bytes + d.signature;
  rec[4] = 0;
  auto e = refused(check_code(encode_block(rec), v.ring()));
  CHECK(e.problem == errc::bad_signature);
}

TEST_CASE("a release receipt proves, offline, which activation was given up",
          "[engine][activation]") {
  vendor v;
  auto server = ed25519::private_key::generate();
  auto resp = accepted(
    check_response(issue_response(request_for(77, machine_a(), server), v.key, 20000), v.ring()));
  auto receipt = issue_receipt(resp, 1'790'000'000'000, server);
  auto r = accepted(check_receipt(receipt, v.ring()));
  CHECK(r.activation.license_id == 77);
  CHECK(r.released_at_ms == 1'790'000'000'000);
  CHECK(r.activation.factors == resp.factors);

  // Signed by another server: refused.
  auto impostor = ed25519::private_key::generate();
  auto forged = refused(check_receipt(issue_receipt(resp, 1, impostor), v.ring()));
  CHECK(forged.problem == errc::bad_signature);
  // The vendor that did not sign the activation cannot vouch for it.
  vendor other;
  CHECK(refused(check_receipt(receipt, other.ring())).problem == errc::unknown_key);
  // A response is not a receipt.
  CHECK(refused(check_receipt(encode_block(resp.record), v.ring())).problem == errc::wrong_kind);
}

TEST_CASE("license states: activation, hardware, clock, expiry", "[engine][license_set]") {
  installed_license l;
  l.lic.id = 1;
  l.lic.product = "cad";
  l.lic.seats = 4;
  l.lic.activation_required = true;
  l.lic.expires_day = 20010;
  license_set set;
  set.add(l);
  state_context ctx(20000);
  CHECK(license_set::state(*set.find(1), ctx) == license_state::not_activated);
  CHECK(set.seats(ctx).at("cad") == 0);

  set.find(1)->activation = "LICD-...";
  set.find(1)->hardware = fingerprint_match{4, 5, 4};
  CHECK(license_set::state(*set.find(1), ctx) == license_state::active);
  CHECK(set.seats(ctx).at("cad") == 4);

  set.find(1)->hardware = fingerprint_match{3, 5, 4};
  CHECK(license_set::state(*set.find(1), ctx) == license_state::hardware_mismatch);
  CHECK(set.seats(ctx).at("cad") == 0);

  set.find(1)->hardware = fingerprint_match{5, 5, 4};
  ctx.clock_error = true;
  CHECK(license_set::state(*set.find(1), ctx) == license_state::clock_error);
  CHECK(set.seats(ctx).at("cad") == 0);
  ctx.clock_error = false;
  ctx.today = 20011;
  CHECK(license_set::state(*set.find(1), ctx) == license_state::expired);

  // A perpetual license does not care about the clock.
  installed_license p;
  p.lic.id = 2;
  p.lic.product = "cad";
  p.lic.seats = 1;
  set.add(p);
  ctx.clock_error = true;
  CHECK(license_set::state(*set.find(2), ctx) == license_state::active);
  CHECK(set.seats(ctx).at("cad") == 1);
  for (auto s : {license_state::expired, license_state::not_activated,
                 license_state::hardware_mismatch, license_state::clock_error})
    CHECK_FALSE(advice(s).empty());
}
