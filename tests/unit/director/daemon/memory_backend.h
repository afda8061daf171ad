// tests/unit/director/daemon/memory_backend.h: a Backend kept in memory,
// with IPVS's errors, recording every call; for the director's unit tests.
#pragma once

#include <cerrno>
#include <string>
#include <vector>

#include "director/backend/backend.h"

namespace halb::director::testing {

class MemoryBackend : public backend::Backend {
 public:
  std::vector<std::string> calls;
  backend::Table t;
  bool fail_reads = false;
  int reads = 0;

  std::string_view name() const override { return "memory"; }
  backend::Info info() override { return {}; }
  std::vector<backend::ServiceStatus> services() override {
    ++reads;
    if (fail_reads) throw backend::BackendError(ECONNREFUSED, "backend gone");
    std::vector<backend::ServiceStatus> out;
    for (const auto& s : t.services) {
      backend::ServiceStatus st;
      st.service = s;
      st.service.dests.clear();
      for (const auto& d : s.dests) {
        backend::DestStatus ds;
        ds.dest = d;
        st.dests.push_back(ds);
      }
      out.push_back(st);
    }
    return out;
  }
  backend::Service* find(const backend::ServiceKey& k) {
    for (auto& s : t.services)
      if (s.key == k) return &s;
    return nullptr;
  }
  void add_service(const backend::Service& s) override {
    calls.push_back("add_service " + backend::describe(s.key));
    if (find(s.key)) throw backend::BackendError(EEXIST, "Service already exists");
    t.services.push_back(s);
    t.services.back().dests.clear();
  }
  void edit_service(const backend::Service& s) override {
    calls.push_back("edit_service " + backend::describe(s.key));
    auto* cur = find(s.key);
    if (!cur) throw backend::BackendError(ESRCH, "No such service");
    auto dests = cur->dests;
    *cur = s;
    cur->dests = dests;
  }
  void del_service(const backend::ServiceKey& k) override {
    calls.push_back("del_service " + backend::describe(k));
    for (auto it = t.services.begin(); it != t.services.end(); ++it)
      if (it->key == k) {
        t.services.erase(it);
        return;
      }
    throw backend::BackendError(ESRCH, "No such service");
  }
  void add_dest(const backend::ServiceKey& k, const backend::Dest& d) override {
    calls.push_back("add_dest " + backend::describe(d) + " w" + std::to_string(d.weight));
    auto* s = find(k);
    if (!s) throw backend::BackendError(ESRCH, "No such service");
    for (auto& x : s->dests)
      if (backend::same_dest(x, d)) throw backend::BackendError(EEXIST, "Destination already exists");
    s->dests.push_back(d);
  }
  void edit_dest(const backend::ServiceKey& k, const backend::Dest& d) override {
    calls.push_back("edit_dest " + backend::describe(d) + " w" + std::to_string(d.weight));
    auto* s = find(k);
    if (!s) throw backend::BackendError(ESRCH, "No such service");
    for (auto& x : s->dests)
      if (backend::same_dest(x, d)) {
        x = d;
        return;
      }
    throw backend::BackendError(ENOENT, "No such destination");
  }
  void del_dest(const backend::ServiceKey& k, const backend::Dest& d) override {
    calls.push_back("del_dest " + backend::describe(d));
    auto* s = find(k);
    if (!s) throw backend::BackendError(ESRCH, "No such service");
    for (auto it = s->dests.begin(); it != s->dests.end(); ++it)
      if (backend::same_dest(*it, d)) {
        s->dests.erase(it);
        return;
      }
    throw backend::BackendError(ENOENT, "No such destination");
  }
  void flush() override { t.services.clear(); }
  void zero(const std::optional<backend::ServiceKey>&) override {}
  backend::Timeouts timeouts() override { return {900, 120, 300}; }
  void set_timeouts(const backend::Timeouts&) override {}
  std::vector<backend::SyncDaemon> daemons() override { return {}; }
  void start_daemon(const backend::SyncDaemon&) override {}
  void stop_daemon(backend::SyncRole) override {}
  std::vector<backend::Connection> connections() override { return {}; }
};

}  // namespace halb::director::testing
