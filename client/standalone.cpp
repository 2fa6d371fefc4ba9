#include "client/standalone.hpp"

#include "engine/activation.hpp"
#include "engine/lease_id.hpp"
#include "platform/paths.hpp"
#include "storage/files.hpp"

#include <nlohmann/json.hpp>

#ifndef _WIN32
#include <sys/stat.h>
#endif

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace licd::client {

namespace {

using json = nlohmann::json;

[[noreturn]] void refuse(engine::errc code, const std::string& message) {
  throw standalone_error(code, message);
}

void refuse_if(const engine::code_error* err) {
  if (err != nullptr)
    refuse(err->problem, err->message);
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

std::string standalone_advice(engine::license_state s, const std::string& product) {
  switch (s) {
    case engine::license_state::not_activated:
      return "activate it: `licclient standalone activate " + product
             + "` prints a request for the vendor";
    case engine::license_state::hardware_mismatch:
      return "it was activated on another machine; ask the vendor to move it here";
    default:
      return std::string(engine::advice(s));
  }
}

std::string standalone_store::default_path() {
  if (auto p = platform::env("LICD_STANDALONE_FILE"); !p.empty())
    return p;
  return platform::join_path(platform::machine_data_dir(), "standalone.json");
}

standalone_store::standalone_store(std::string path) : path_(std::move(path)) {
  if (!files::file_exists(path_))
    return; // nothing stored yet
#ifndef _WIN32 // on Windows the folder's ACL decides (%ProgramData% lets users read, not write)
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    refuse(engine::errc::unsafe_file, path_
                                        + " is writable by other users, so anyone could change the "
                                          "licenses in it: fix it with chmod 644 "
                                        + path_);
#endif
  std::ifstream in(platform::fs_path(path_));
  if (!in)
    refuse(engine::errc::unreadable, "cannot read " + path_);
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("licenses")
      || !doc["licenses"].is_array())
    refuse(engine::errc::corrupt, path_ + " is not a stand-alone license file");
  for (const auto& j : doc["licenses"]) {
    entry e;
    uint64_t nonce = 0;
    if (!j.is_object() || !j.contains("code") || !j["code"].is_string()
        || !engine::parse_hex64(j.value("nonce", std::string(16, '0')), nonce))
      refuse(engine::errc::corrupt, path_ + " has a damaged entry");
    e.code = j["code"];
    e.added_at_ms = j.value("added_at_ms", int64_t{0});
    e.nonce = nonce;
    e.activation = j.value("activation", "");
    entries_.push_back(std::move(e));
  }
}

void standalone_store::save() const {
  json doc{{"format", 1}, {"licenses", json::array()}};
  for (const auto& e : entries_)
    doc["licenses"].push_back(json{{"code", e.code},
                                   {"added_at_ms", e.added_at_ms},
                                   {"nonce", engine::hex64(e.nonce)},
                                   {"activation", e.activation}});
  namespace fs = std::filesystem;
  auto dir = platform::fs_path(path_).parent_path();
  std::error_code ec;
  if (!dir.empty() && !fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      refuse(engine::errc::unwritable, "cannot create " + platform::path_text(dir) + ": "
                                         + ec.message()
                                         + " (run as root, or set LICD_STANDALONE_FILE)");
    fs::permissions(dir, fs::perms(0755), ec);
  }
  // Atomically: a crash leaves the old file or the new one, never half of one.
  try {
    files::write_file(path_, doc.dump(2) + "\n", 0644);
  } catch (const std::runtime_error& e) {
    refuse(engine::errc::unwritable,
           std::string(e.what()) + " (run as root, or set LICD_STANDALONE_FILE)");
  }
}

standalone_license standalone_store::judge(const entry& e, const standalone_context& ctx) const {
  standalone_license out;
  auto& inst = out.inst;
  auto decoded = engine::decode_code(e.code);
  if (auto* d = std::get_if<engine::decoded_code>(&decoded))
    inst.lic = d->lic;
  inst.code = e.code;
  inst.installed_at_ms = e.added_at_ms;
  inst.pending_nonce = e.nonce;
  inst.verified = std::holds_alternative<engine::license>(engine::check_code(e.code, ctx.keys));
  if (!e.activation.empty()) {
    auto resp = engine::check_response(e.activation, ctx.keys);
    if (auto* r = std::get_if<engine::activation_response>(&resp);
        r != nullptr && r->license_id == inst.lic.id) {
      inst.activation = e.activation;
      inst.hardware = engine::match(r->factors, engine::fingerprint_of(ctx.machine, inst.lic.id),
                                    ctx.tolerance);
    }
  }
  out.state = engine::license_set::state(inst, engine::state_context(ctx.today));
  return out;
}

engine::license standalone_store::add(std::string_view code, const standalone_context& ctx) {
  auto checked = engine::check_code_of_type(code, ctx.keys, engine::license_type::standalone);
  refuse_if(std::get_if<engine::code_error>(&checked));
  auto lic = std::get<engine::license>(checked);
  for (const auto& e : entries_)
    if (judge(e, ctx).inst.lic.id == lic.id)
      refuse(engine::errc::duplicate, "license " + lic.id_hex() + " is stored already");
  entry e;
  e.code = std::get<engine::decoded_code>(engine::decode_code(code)).canonical;
  e.added_at_ms = now_ms();
  entries_.push_back(e);
  save();
  return lic;
}

standalone_store::entry& standalone_store::pick(const std::string& product_or_id,
                                                const standalone_context& ctx) {
  entry* fallback = nullptr;
  for (auto& e : entries_) {
    auto j = judge(e, ctx);
    if (j.inst.lic.product != product_or_id && j.inst.lic.id_hex() != product_or_id)
      continue;
    if (j.state != engine::license_state::active)
      return e;
    fallback = &e;
  }
  if (fallback != nullptr)
    refuse(engine::errc::already_active,
           "the stand-alone license for " + product_or_id + " is active on this machine already");
  refuse(engine::errc::not_found, "no stand-alone license for " + product_or_id + " is stored in "
                                    + path_ + " (add it with `licclient standalone add CODE`)");
}

std::string standalone_store::request(const std::string& product_or_id,
                                      const standalone_context& ctx) {
  auto& e = pick(product_or_id, ctx);
  auto lic = judge(e, ctx).inst.lic;
  if (e.nonce == 0) {
    e.nonce = engine::random_u64();
    save();
  }
  engine::activation_request req;
  req.license_id = lic.id;
  req.type = engine::license_type::standalone;
  req.nonce = e.nonce;
  req.product = lic.product;
  req.factors = engine::fingerprint_of(ctx.machine, lic.id);
  return engine::encode_request(req);
}

engine::license standalone_store::activate(const std::string& product_or_id,
                                           std::string_view response,
                                           const standalone_context& ctx) {
  auto& e = pick(product_or_id, ctx);
  auto lic = judge(e, ctx).inst.lic;
  auto checked = engine::check_response(response, ctx.keys);
  refuse_if(std::get_if<engine::code_error>(&checked));
  const auto& resp = std::get<engine::activation_response>(checked);
  if (resp.license_id != lic.id)
    refuse(engine::errc::wrong_license, "this activation response is for license "
                                          + engine::hex64(resp.license_id) + ", not "
                                          + lic.id_hex());
  if (resp.type != engine::license_type::standalone || !resp.requester_key.empty())
    refuse(engine::errc::wrong_kind,
           "this activation response is for a license server, not a workstation");
  if (e.nonce == 0 || resp.nonce != e.nonce)
    refuse(engine::errc::stale_response,
           "this activation response answers another request for license " + lic.id_hex()
             + ": send the vendor the current request");
  auto m = engine::match(resp.factors, engine::fingerprint_of(ctx.machine, lic.id), ctx.tolerance);
  if (!m.ok())
    refuse(engine::errc::wrong_machine,
           "this activation response is for another machine: " + std::to_string(m.matched) + " of "
             + std::to_string(m.total) + " hardware factors match here ("
             + std::to_string(m.required) + " needed)");
  e.activation = engine::encode_block(resp.record);
  save();
  return lic;
}

bool standalone_store::remove(const std::string& id) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    auto d = engine::decode_code(it->code);
    auto* dc = std::get_if<engine::decoded_code>(&d);
    if (dc != nullptr && dc->lic.id_hex() == id) {
      entries_.erase(it);
      save();
      return true;
    }
  }
  return false;
}

std::vector<standalone_license> standalone_store::list(const standalone_context& ctx) const {
  std::vector<standalone_license> out;
  for (const auto& e : entries_)
    out.push_back(judge(e, ctx));
  return out;
}

standalone_verdict check_standalone(const std::string& product, const standalone_context& ctx,
                                    const std::string& path) {
  standalone_verdict v;
  std::vector<standalone_license> all;
  try {
    all = standalone_store(path).list(ctx);
  } catch (const standalone_error& e) {
    v.message = e.what();
    return v;
  }
  std::string best;
  for (const auto& l : all) {
    if (l.inst.lic.product != product)
      continue;
    if (l.state == engine::license_state::active) {
      v.ok = true;
      v.lic = l.inst.lic;
      v.message = "stand-alone license " + l.inst.lic.id_hex() + " is active";
      return v;
    }
    best = "stand-alone license " + l.inst.lic.id_hex() + " is "
           + std::string(engine::to_string(l.state)) + ": " + standalone_advice(l.state, product);
  }
  v.message = best.empty() ? "no stand-alone license for " + product + " on this machine" : best;
  return v;
}

} // namespace licd::client
