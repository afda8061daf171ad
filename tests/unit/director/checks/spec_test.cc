// tests/unit/director/checks/spec_test.cc: what a real's check is resolved
// to from ldirectord.cf (ports, strings, timeouts) and when two are equal.
#include "director/checks/spec.h"

#include <gtest/gtest.h>

#include "director/checks/check.h"
#include "director/config/ldirectord_cf.h"

namespace halb::director::checks {
namespace {

config::Config parse(const std::string& text) { return config::parse_ldirectord_cf(text, "t.cf"); }

TEST(Spec, PortIsCheckportThenRealThenVirtualThenService) {
  auto c = parse(
      "virtual=10.0.0.1:80\n\treal=10.0.0.2:8080 masq\n\treal=10.0.0.3 gate\n\tcheckport=9000\n"
      "virtual=10.0.0.1:81\n\treal=10.0.0.2:8080 masq\n\treal=10.0.0.3 gate\n"
      "virtual=7\n\treal=10.0.0.4 gate\n\tservice=mysql\n\tprotocol=fwm\n");
  EXPECT_EQ(make_spec(c.virtuals[0], c.virtuals[0].reals[0]).port, 9000);
  EXPECT_EQ(make_spec(c.virtuals[1], c.virtuals[1].reals[0]).port, 8080);
  EXPECT_EQ(make_spec(c.virtuals[1], c.virtuals[1].reals[1]).port, 81);
  Spec fw = make_spec(c.virtuals[2], c.virtuals[2].reals[0]);
  EXPECT_EQ(fw.port, 3306);  // a fwmark real without port: the service's port
  EXPECT_EQ(fw.fwmark, 7u);
}

TEST(Spec, TimeoutsAndCountsComeFromTheEffectiveValues) {
  auto c = parse("checktimeout=3\nnegotiatetimeout=7\ncheckcount=2\nfailurecount=4\n"
                 "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate \"/alive\",\"yes\"\n\trequest=\"/index.html\"\n"
                 "\treceive=\"Welcome\"\n\tvirtualhost=www.example.com\n");
  Spec s = make_spec(c.virtuals[0], c.virtuals[0].reals[0]);
  EXPECT_EQ(s.checktimeout, 3);
  EXPECT_EQ(s.negotiatetimeout, 7);
  EXPECT_EQ(s.checkcount, 2);
  EXPECT_EQ(s.failurecount, 4);
  EXPECT_EQ(s.request, "/alive");  // the real's own pair wins
  EXPECT_EQ(s.receive, "yes");
  EXPECT_EQ(s.virtualhost, "www.example.com");
  EXPECT_EQ(s.service, Service::http);  // port 80
  EXPECT_EQ(probe_for(s), Probe::negotiate);
}

TEST(Spec, EqualityDecidesWhetherAReloadKeepsTheCheck) {
  auto a = parse("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n");
  auto b = parse("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate 5\n");  // weight only
  auto d = parse("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\treceive=\"ok\"\n");
  Spec sa = make_spec(a.virtuals[0], a.virtuals[0].reals[0]);
  EXPECT_EQ(sa, make_spec(b.virtuals[0], b.virtuals[0].reals[0]));
  EXPECT_FALSE(sa == make_spec(d.virtuals[0], d.virtuals[0].reals[0]));
}

TEST(Spec, ServiceNamesAndPorts) {
  EXPECT_STREQ(service_name(Service::http_proxy), "http_proxy");
  EXPECT_EQ(well_known_port(Service::pgsql), 5432);
  EXPECT_EQ(well_known_port(Service::none), 0);
}

}  // namespace
}  // namespace halb::director::checks
