// tests/tools/halb-lvsd-roundtrip.cc: drives a running halb-lvsd through
// LvsdBackend (the class halb-adm and halb-director use) and checks that a
// table written through it reads back equal, and that refused commands
// come back as the errno IPVS would give. Prints "round trip OK" and exits
// 0, or prints what differed and exits 1.
//   halb-lvsd-roundtrip SOCKET
#include <cerrno>
#include <cstdio>
#include <string>

#include "director/backend/lvsd_backend.h"

using namespace halb::director;
using namespace halb::director::backend;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    printf("FAIL: %s\n", what.c_str());
    ++failures;
  }
}

int err_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const BackendError& e) {
    return e.err();
  }
  return 0;
}

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

Table sample() {
  Table t;
  Service web;
  web.key = {Protocol::tcp, Family::v4, 0, ip("127.0.0.41"), 80};
  web.scheduler = "wrr";
  web.flags = kSvcPersistent;
  web.timeout = 300;
  web.netmask = 0xffffff00;
  web.dests = {Dest{ip("127.0.0.1"), 8080, Forward::masq, 3, 100, 50},
               Dest{ip("127.0.0.2"), 8080, Forward::route, 0, 0, 0}};
  Service dns;
  dns.key = {Protocol::udp, Family::v4, 0, ip("127.0.0.41"), 53};
  dns.scheduler = "rr";
  dns.dests = {Dest{ip("127.0.0.3"), 5353, Forward::tunnel, 1, 0, 0}};
  Service mark;
  mark.key = {Protocol::fwmark, Family::v4, 7, IpAddress{}, 0};
  mark.scheduler = "sh";
  mark.flags = kSvcSched1 | kSvcSched2;
  mark.dests = {Dest{ip("127.0.0.4"), 0, Forward::route, 2, 0, 0}};
  Service six;
  six.key = {Protocol::tcp, Family::v6, 0, ip("::1"), 443};
  six.scheduler = "wlc";
  six.netmask = 128;
  six.dests = {Dest{ip("::1"), 8443, Forward::masq, 1, 0, 0}};
  t.services = {web, dns, mark, six};
  sort_table(t);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: halb-lvsd-roundtrip SOCKET\n");
    return 2;
  }
  try {
    LvsdBackend b(argv[1]);
    b.flush();
    Table want = sample();
    for (const auto& s : want.services) {
      Service bare = s;
      bare.dests.clear();
      b.add_service(bare);
      for (const auto& d : s.dests) b.add_dest(s.key, d);
    }
    Table got = b.table();
    check(got.services.size() == want.services.size(), "service count");
    for (size_t i = 0; i < std::min(got.services.size(), want.services.size()); ++i) {
      check(same_attributes(got.services[i], want.services[i]), "attributes of " + describe(want.services[i].key));
      check(got.services[i].dests == want.services[i].dests, "dests of " + describe(want.services[i].key));
    }
    const auto& web = want.services[0].key.protocol == Protocol::tcp ? want.services[0] : want.services[1];
    check(err_of([&] { b.add_service(web); }) == EEXIST, "add existing service -> EEXIST");
    check(err_of([&] { b.add_dest(web.key, web.dests[0]); }) == EEXIST, "add existing dest -> EEXIST");
    ServiceKey missing = web.key;
    missing.port = 81;
    check(err_of([&] { b.del_service(missing); }) == ESRCH, "del missing service -> ESRCH");
    Service missing_svc;
    missing_svc.key = missing;
    check(err_of([&] { b.edit_service(missing_svc); }) == ESRCH, "edit missing service -> ESRCH");
    Dest nodest{ip("127.0.0.9"), 1};
    check(err_of([&] { b.edit_dest(web.key, nodest); }) == ENOENT, "edit missing dest -> ENOENT");
    check(err_of([&] { b.del_dest(web.key, nodest); }) == ENOENT, "del missing dest -> ENOENT");
    Dest bad = web.dests[0];
    bad.l_threshold = bad.u_threshold + 1;
    check(err_of([&] { b.edit_dest(web.key, bad); }) == EINVAL, "l_threshold > u_threshold -> EINVAL");
    Service badsched = web;
    badsched.scheduler = "nosuch";
    check(err_of([&] { b.edit_service(badsched); }) == ENOENT, "unknown scheduler -> ENOENT");

    // Edits show in the next read.
    Service edited = web;
    edited.dests.clear();
    edited.scheduler = "lc";
    edited.timeout = 600;
    b.edit_service(edited);
    Dest reweighted = web.dests[1];
    reweighted.weight = 5;
    b.edit_dest(web.key, reweighted);
    auto st = b.services();
    bool seen = false;
    for (const auto& s : st)
      if (s.service.key == web.key) {
        seen = true;
        check(s.service.scheduler == "lc" && s.service.timeout == 600, "edit-service read back");
        bool w5 = false;
        for (const auto& d : s.dests) w5 |= same_dest(d.dest, reweighted) && d.dest.weight == 5;
        check(w5, "edit-dest read back");
      }
    check(seen, "edited service listed");
    b.del_dest(web.key, web.dests[0]);
    b.del_service(want.services.back().key);
    check(b.table().services.size() == want.services.size() - 1, "del-service");

    Info info = b.info();
    check(info.version == 0x010201 && info.conn_tab_size == 4096, "info 1.2.1 / 4096");
    b.set_timeouts({700, 0, 200});
    check(b.timeouts() == Timeouts{700, 120, 200}, "timeouts set, 0 keeps");
    SyncDaemon m;
    m.role = SyncRole::master;
    // lo: the sync master opens a real multicast socket on the interface.
    m.mcast_ifn = "lo";
    m.syncid = 9;
    b.start_daemon(m);
    check(err_of([&] { b.start_daemon(m); }) == EEXIST, "second master -> EEXIST");
    auto ds = b.daemons();
    check(ds.size() == 1 && ds[0].maxlen == 1472 && ds[0].port == 8848 && ds[0].ttl == 1 && ds[0].group &&
              ds[0].group->str() == "224.0.0.81" && ds[0].syncid == 9 && ds[0].mcast_ifn == "lo",
          "master daemon defaults");
    b.stop_daemon(SyncRole::master);
    check(b.daemons().empty(), "daemon stopped");
    check(err_of([&] { b.stop_daemon(SyncRole::backup); }) == ESRCH, "stop idle backup -> ESRCH");
    b.zero(std::nullopt);
    b.zero(web.key);
    check(b.connections().empty(), "no connections");
    b.flush();
    check(b.table().services.empty(), "flush");
    LvsdBackend down(std::string(argv[1]) + ".absent", 1.0);
    check(err_of([&] { down.info(); }) == ECONNREFUSED, "absent daemon -> ECONNREFUSED");
  } catch (const std::exception& e) {
    printf("FAIL: unexpected error: %s\n", e.what());
    return 1;
  }
  if (failures) return 1;
  printf("round trip OK\n");
  return 0;
}
