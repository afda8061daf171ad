// tests/unit/director/config/ldirectord_cf_test.cc: the ldirectord.cf reader
// on the seed's config, on every directive, on ldirectord's layout rules and
// on broken files (each error with its exact file:line).
#include "director/config/ldirectord_cf.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "lib/config/reader.h"

namespace halb::director::config {
namespace {

const std::string kData = HALB_TEST_DATA;

ReadOptions test_options() {
  ReadOptions o;
  o.hostname = "ndb1";
  o.resolver.hosts_path = kData + "/hosts";
  return o;
}

Config parse(const std::string& text) { return parse_ldirectord_cf(text, "test.cf", test_options()); }

// The full "file:line: message" of the error `text` raises.
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const halb::config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(LdirectordCf, SeedConfigParsesUnchanged) {
  Config c = read_ldirectord_cf(kData + "/seed.cf", test_options());
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_EQ(c.global.logfile.syslog_facility, "local0");
  EXPECT_FALSE(c.global.autoreload);
  ASSERT_EQ(c.virtuals.size(), 1u);
  const Virtual& v = c.virtuals[0];
  EXPECT_EQ(v.line, 11);
  EXPECT_EQ(v.addr.str(), "192.168.131.105");
  EXPECT_EQ(v.port, 3306);
  EXPECT_EQ(v.protocol, Protocol::tcp);
  EXPECT_EQ(v.service, Service::mysql);
  EXPECT_EQ(v.scheduler, "wrr");
  EXPECT_EQ(v.checktype, CheckType::negotiate);
  EXPECT_EQ(v.login, "ldirector");
  EXPECT_EQ(v.passwd, "ldirectorpassword");
  EXPECT_EQ(v.database, "ldirectordb");
  EXPECT_EQ(v.request, "/SELECT * FROM connectioncheck");  // ldirectord prefixes '/'; the mysql check drops it
  ASSERT_EQ(v.reals.size(), 2u);
  EXPECT_EQ(v.reals[0].addr.str(), "192.168.131.77");
  EXPECT_EQ(v.reals[0].port, 3306);
  EXPECT_EQ(v.reals[0].forward, Forward::gate);
  EXPECT_EQ(v.reals[0].weight, 1);
  EXPECT_EQ(v.reals[0].line, 13);
  EXPECT_EQ(v.reals[1].addr.str(), "192.168.131.101");
  EXPECT_TRUE(v.effective.quiescent);  // "Quiescent real server: ..." in the seed's logs
  EXPECT_EQ(v.effective.checktimeout, 10);
  EXPECT_EQ(v.effective.negotiatetimeout, 10);  // unset: takes checktimeout
  EXPECT_EQ(v.effective.checkinterval, 2);
}

TEST(LdirectordCf, SampleInEtcIsTheSeedConfig) {
  std::ifstream a(kData + "/seed.cf"), b(kData + "/../../../../etc/ha.d/ldirectord.cf");
  std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_FALSE(sa.empty());
  EXPECT_EQ(sa, sb);
}

TEST(LdirectordCf, Defaults) {
  Config c = parse("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n");
  const Virtual& v = c.virtuals.at(0);
  const Effective& e = v.effective;
  EXPECT_EQ(e.checktimeout, 5);
  EXPECT_EQ(e.negotiatetimeout, 30);
  EXPECT_EQ(e.checkinterval, 10);
  EXPECT_EQ(e.checkcount, 1);
  EXPECT_EQ(e.failurecount, 1);
  EXPECT_FALSE(e.quiescent);  // ldirectord's code, not its man page
  EXPECT_TRUE(e.cleanstop);
  EXPECT_EQ(e.emailalertfreq, 0);
  EXPECT_EQ(e.emailalertstatus, EmailStatus{});
  EXPECT_FALSE(e.fallback);
  EXPECT_EQ(v.scheduler, "wrr");
  EXPECT_EQ(v.checktype, CheckType::negotiate);
  EXPECT_EQ(v.service, Service::http);  // from port 80
  EXPECT_EQ(v.request, "/");
  EXPECT_EQ(v.receive, "");
  EXPECT_EQ(v.checkcommand, "/bin/true");
  EXPECT_EQ(v.httpmethod, HttpMethod::get);
  EXPECT_FALSE(v.persistent);
  EXPECT_EQ(c.global.logfile.file, "/var/log/ldirectord.log");
  EXPECT_FALSE(c.global.fork);
  EXPECT_FALSE(c.global.supervised);
  EXPECT_FALSE(c.global.readdquiescent);
  EXPECT_FALSE(c.global.autoreload);
}

TEST(LdirectordCf, TimeoutFallbacks) {
  auto v = parse("negotiatetimeout=12\nvirtual=10.0.0.1:80\n").virtuals.at(0);
  EXPECT_EQ(v.effective.checktimeout, 12);
  EXPECT_EQ(v.effective.negotiatetimeout, 12);
  v = parse("checktimeout=4\nvirtual=10.0.0.1:80\n    negotiatetimeout=9\n").virtuals.at(0);
  EXPECT_EQ(v.effective.checktimeout, 4);
  EXPECT_EQ(v.effective.negotiatetimeout, 9);
  // A global after the block still applies to it.
  v = parse("virtual=10.0.0.1:80\n    real=10.0.0.2 gate\nquiescent=yes\n").virtuals.at(0);
  EXPECT_TRUE(v.effective.quiescent);
}

TEST(LdirectordCf, ServiceDefaultsByPort) {
  EXPECT_EQ(parse("virtual=10.0.0.1:3306\n").virtuals[0].service, Service::mysql);
  EXPECT_EQ(parse("virtual=10.0.0.1:5432\n").virtuals[0].service, Service::pgsql);
  EXPECT_EQ(parse("virtual=10.0.0.1:4000\n").virtuals[0].service, Service::none);
  auto v = parse("virtual=10.0.0.1:53\n").virtuals[0];
  EXPECT_EQ(v.service, Service::dns);
  EXPECT_EQ(v.protocol, Protocol::udp);
  v = parse("virtual=12\n").virtuals[0];
  EXPECT_EQ(v.fwmark, 12u);
  EXPECT_EQ(v.protocol, Protocol::fwm);
  EXPECT_EQ(v.service, Service::none);
}

TEST(LdirectordCf, EveryDirective) {
  Config c = read_ldirectord_cf(kData + "/all.cf", test_options());
  const Global& g = c.global;
  EXPECT_TRUE(g.autoreload);
  EXPECT_EQ(g.callback, "/usr/local/bin/cfchanged");
  EXPECT_EQ(g.logfile.file, "/var/log/halb-director.log");
  EXPECT_EQ(g.execute, std::vector<std::string>{"other.cf"});
  EXPECT_TRUE(g.fork);
  EXPECT_TRUE(g.readdquiescent);
  EXPECT_EQ(g.maintenancedir, "/etc/ha.d/maintenance");
  ASSERT_EQ(c.virtuals.size(), 4u);

  const Virtual& web = c.virtuals[0];
  EXPECT_EQ(web.port, 80);  // "http" via the services database
  ASSERT_EQ(web.reals.size(), 4u);  // a range of three plus one
  EXPECT_EQ(web.reals[0].addr.str(), "10.0.0.10");
  EXPECT_EQ(web.reals[2].addr.str(), "10.0.0.12");
  EXPECT_EQ(web.reals[2].port, 8080);
  EXPECT_EQ(web.reals[2].forward, Forward::masq);
  EXPECT_EQ(web.reals[2].weight, 5);
  EXPECT_EQ(web.reals[2].request, "/health");
  EXPECT_EQ(web.reals[2].receive, "OK");
  EXPECT_EQ(web.reals[2].lower_threshold, 10u);
  EXPECT_EQ(web.reals[2].upper_threshold, 100u);
  EXPECT_EQ(web.reals[3].port, 0);
  EXPECT_EQ(web.request, "/index.html");
  EXPECT_EQ(web.receive, "Test Page");
  EXPECT_EQ(web.checktype, CheckType::combined);
  EXPECT_EQ(web.combined_every, 3);
  EXPECT_EQ(web.checkport, 8081);
  EXPECT_EQ(web.httpmethod, HttpMethod::head);
  EXPECT_EQ(web.virtualhost, "www.example.com");
  EXPECT_EQ(web.scheduler, "sh");
  EXPECT_EQ(web.schedflags, (std::vector<std::string>{"sh-fallback", "sh-port"}));
  EXPECT_EQ(web.persistent, 300);
  EXPECT_EQ(web.netmask, 0xffffff00u);
  EXPECT_EQ(web.monitorfile, "/var/log/monitor.log");
  EXPECT_EQ(web.servicename, "web");
  EXPECT_EQ(web.comment, "the web farm");
  const Effective& e = web.effective;
  EXPECT_EQ(e.checktimeout, 7);
  EXPECT_EQ(e.negotiatetimeout, 20);
  EXPECT_EQ(e.checkinterval, 5);  // fork=yes: the virtual's own counts
  EXPECT_EQ(e.checkcount, 2);
  EXPECT_EQ(e.failurecount, 3);
  EXPECT_TRUE(e.quiescent);
  EXPECT_FALSE(e.cleanstop);
  ASSERT_TRUE(e.fallback);
  EXPECT_EQ(e.fallback->addr.str(), "10.0.0.99");
  EXPECT_FALSE(e.fallback->port);
  EXPECT_EQ(e.fallback->forward, Forward::gate);
  EXPECT_EQ(e.fallbackcommand, "/usr/local/bin/fallback");
  EXPECT_EQ(e.emailalert, std::vector<std::string>{"web@example.com"});
  EXPECT_EQ(e.emailalertfrom, "director@example.com");
  EXPECT_EQ(e.emailalertfreq, 600);
  EXPECT_EQ(e.emailalertstatus, (EmailStatus{true, true, false, false}));
  EXPECT_EQ(e.smtp, "127.0.0.1");

  const Virtual& dns = c.virtuals[1];
  EXPECT_EQ(dns.protocol, Protocol::udp);
  EXPECT_TRUE(dns.ops);
  EXPECT_FALSE(dns.effective.quiescent);
  ASSERT_TRUE(dns.effective.fallback);
  EXPECT_EQ(dns.effective.fallback->port, 80);
  EXPECT_EQ(dns.effective.fallback->forward, Forward::masq);
  EXPECT_EQ(dns.effective.emailalert, (std::vector<std::string>{"ops@example.com", "oncall@example.com"}));

  const Virtual& mark = c.virtuals[2];
  EXPECT_EQ(mark.fwmark, 7u);
  EXPECT_EQ(mark.checktype, CheckType::external);
  EXPECT_EQ(mark.checkcommand, "/usr/local/bin/check");

  const Virtual& ftp6 = c.virtuals[3];
  EXPECT_TRUE(ftp6.v6);
  EXPECT_EQ(ftp6.addr.str(), "2001:db8::1");
  EXPECT_EQ(ftp6.reals.at(0).addr.str(), "2001:db8::10");
  EXPECT_EQ(ftp6.netmask, 64u);
  EXPECT_EQ(ftp6.login, "anonymous");           // explicit service=ftp
  EXPECT_EQ(ftp6.passwd, "ldirectord@ndb1");
  ASSERT_TRUE(ftp6.effective.fallback);
  EXPECT_EQ(ftp6.effective.fallback->addr.str(), "::1");  // fallback6 for a virtual6
  EXPECT_EQ(c.warnings.size(), 1u);  // checkcount is deprecated
  // Bare facility and bare path work too.
  EXPECT_EQ(parse("logfile=daemon\n").global.logfile.syslog_facility, "daemon");
  EXPECT_EQ(parse("logfile=/var/log/d.log\n").global.logfile.file, "/var/log/d.log");
}

TEST(LdirectordCf, TableHasEveryReferenceDirective) {
  const std::set<std::string> reference{
      "checktimeout", "negotiatetimeout", "checkinterval", "checkcount", "failurecount", "autoreload", "callback",
      "fallback", "fallback6", "fallbackcommand", "logfile", "emailalert", "emailalertfrom", "emailalertfreq",
      "emailalertstatus", "execute", "supervised", "fork", "quiescent", "readdquiescent", "cleanstop",
      "maintenancedir", "virtual", "virtual6", "real", "real6", "request", "receive", "checktype", "service",
      "checkcommand", "checkport", "login", "passwd", "database", "secret", "scheduler", "persistent", "netmask",
      "protocol", "httpmethod", "virtualhost", "monitorfile", "ops", "schedflags", "servicename", "comment", "smtp"};
  std::set<std::string> table;
  for (const auto& k : keywords()) EXPECT_TRUE(table.insert(std::string(k.name)).second) << "twice: " << k.name;
  for (const auto& r : reference) EXPECT_TRUE(table.count(r)) << "missing: " << r;
}

TEST(LdirectordCf, LayoutRules) {
  // Spaces around '=', tabs as 4 spaces, comments inside and outside blocks.
  Config c = parse(
      "# comment\n"
      "quiescent = yes\n"
      "virtual = 10.0.0.1:80\n"
      "    # a comment line inside\n"
      "\treal = 10.0.0.2:80 gate # trailing comment cut\n"
      "  \t  real=10.0.0.3:80 gate\n"
      "\n"
      "virtual=10.0.0.1:81\n");
  ASSERT_EQ(c.virtuals.size(), 2u);
  EXPECT_EQ(c.virtuals[0].reals.size(), 2u);
  EXPECT_TRUE(c.virtuals[1].reals.empty());
  // A bare supervised is yes, with a warning.
  c = parse("supervised\n");
  EXPECT_TRUE(c.global.supervised);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].line, 1);
  // A per-virtual checkinterval counts without fork=yes too (every check has its own timer).
  c = parse("checkinterval=4\nvirtual=10.0.0.1:80\n    checkinterval=9\n");
  EXPECT_EQ(c.virtuals[0].effective.checkinterval, 9);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(LdirectordCf, NamesResolveWithoutDns) {
  Config c = parse("virtual=director-vip:mysql\n    real=realserver1:3306 gate\n    real=192.168.131.101:mysql gate\n");
  EXPECT_EQ(c.virtuals[0].addr.str(), "192.168.131.105");
  EXPECT_EQ(c.virtuals[0].port, 3306);
  EXPECT_EQ(c.virtuals[0].reals[0].addr.str(), "192.168.131.77");
  EXPECT_EQ(c.virtuals[0].reals[1].port, 3306);
  EXPECT_EQ(error_of("virtual=no-such-host.invalid:80\n"),
            "test.cf:1: cannot resolve 'no-such-host.invalid' to an IPv4 address (numeric or hosts file only)");
}

TEST(LdirectordCf, RealSyntax) {
  auto reals = parse("virtual=10.0.0.1:80\n    real=10.0.0.2:80 ipip 0 \"a\" \"b\" u:5\n").virtuals[0].reals;
  ASSERT_EQ(reals.size(), 1u);
  EXPECT_EQ(reals[0].forward, Forward::ipip);
  EXPECT_EQ(reals[0].weight, 0);
  EXPECT_EQ(reals[0].request, "/a");
  EXPECT_EQ(reals[0].receive, "b");
  EXPECT_EQ(reals[0].upper_threshold, 5u);
}

struct Broken {
  const char* text;
  const char* error;
};

TEST(LdirectordCf, BrokenFilesSayFileAndLine) {
  const Broken cases[] = {
      {"quiescent=maybe\n", "test.cf:1: expected yes or no, got 'maybe'"},
      {"quiescent = yes # comment\n", "test.cf:1: expected yes or no, got 'yes # comment'"},
      {"\n  checktimeout=5\n", "test.cf:2: indented line outside a virtual block (global directives start in column 0; "
                               "a blank line ends a virtual block)"},
      {"virtual=10.0.0.1:80\n    real=10.0.0.2 gate\n\n    real=10.0.0.3 gate\n",
       "test.cf:4: indented line outside a virtual block (global directives start in column 0; a blank line ends a "
       "virtual block)"},
      {"bogus=1\n", "test.cf:1: unknown directive 'bogus'"},
      {"real=10.0.0.2 gate\n", "test.cf:1: 'real' belongs inside a virtual block (indented under virtual=)"},
      {"virtual=10.0.0.1:80\n    fork=yes\n",
       "test.cf:2: 'fork' is a global directive; write it in column 0 outside virtual blocks"},
      {"timeout=5\n", "test.cf:1: timeout and connecttimeout are no longer supported; use checktimeout and "
                      "negotiatetimeout"},
      {"checktimeout=0\n", "test.cf:1: '0' is out of range 1..2147483647"},
      {"checktimeout=abc\n", "test.cf:1: expected a number, got 'abc'"},
      {"checkinterval\n", "test.cf:1: missing '=' and value after 'checkinterval'"},
      {"virtual=10.0.0.1\n", "test.cf:1: virtual '10.0.0.1' needs a port (address:port) or a firewall mark"},
      {"virtual=10.0.0.1:80\n    real=10.0.0.2:80\n",
       "test.cf:2: real 10.0.0.2:80 needs a forwarding method: gate, masq or ipip"},
      {"virtual=10.0.0.1:80\n    real=10.0.0.2:80 route\n", "test.cf:2: expected gate, masq or ipip, got 'route'"},
      {"virtual=10.0.0.1:80\n    real=10.0.0.2:80 gate 1 extra\n",
       "test.cf:2: unexpected 'extra' in real 10.0.0.2:80"},
      {"virtual=10.0.0.1:80\n    real=10.0.0.2:80 gate 70000\n", "test.cf:2: '70000' is out of range 0..65535"},
      {"virtual=10.0.0.1:80\n    real=10.0.0.2:80 gate \"/x\"\n",
       "test.cf:2: real: a request string must be followed by a receive string (\"request\", \"receive\")"},
      {"virtual=10.0.0.1:80\n    real=10.0.0.9->10.0.0.2 gate\n",
       "test.cf:2: range 10.0.0.9->10.0.0.2 ends before it starts"},
      {"virtual=10.0.0.1:80\n    real=10.0.0.2 gate\n    real=10.0.0.2 masq\n",
       "test.cf:3: real 10.0.0.2:0 is already listed at line 2"},
      {"virtual=10.0.0.1:80\n    real=10.0.0.2:nosuchservice gate\n",
       "test.cf:2: unknown port or service name 'nosuchservice'"},
      {"virtual=10.0.0.1:80\n    request=/index.html\n",
       "test.cf:2: expected a quoted string (\"...\"), got '/index.html'"},
      {"virtual=10.0.0.1:80\n    checktype=sometimes\n",
       "test.cf:2: unknown checktype 'sometimes' (connect, negotiate, ping, external, external-perl, off, on or a "
       "number)"},
      {"virtual=10.0.0.1:80\n    service=gopher\n", "test.cf:2: unknown service 'gopher'"},
      {"virtual=10.0.0.1:80\n    netmask=255.255.255.0\n    scheduler=wrr\n",
       "test.cf:2: netmask needs persistent= in the same virtual"},
      {"virtual=10.0.0.1:80\n    ops=yes\n", "test.cf:2: ops (one-packet scheduling) is for UDP virtuals only"},
      {"virtual=5\n    protocol=tcp\n", "test.cf:2: a firewall-mark virtual must use protocol=fwm"},
      {"virtual=10.0.0.1:80\n    scheduler=WRR\n",
       "test.cf:2: scheduler must be a lower-case ipvsadm scheduler name, got 'WRR'"},
      {"virtual=10.0.0.1:80\nvirtual=10.0.0.1:80\n", "test.cf:2: virtual 10.0.0.1:80 is already defined at line 1"},
      {"virtual=10.0.0.1:80\n    real6=[::1]:80 gate\n", "test.cf:2: real6 in an IPv4 virtual (use real=)"},
      {"logfile=\"var/log/x\"\n",
       "test.cf:1: logfile must be an absolute path or a syslog facility, got '\"var/log/x\"'"},
      {"virtual=10.0.0.1:80\n    schedflags=sh-nope\n",
       "test.cf:2: unknown scheduler flag 'sh-nope' (flag-1..3, sh-fallback, sh-port, mh-fallback, mh-port)"},
      {"fallback=10.0.0.9:80 gate extra\n", "test.cf:1: unexpected 'extra' in fallback"},
  };
  for (const auto& b : cases) EXPECT_EQ(error_of(b.text), b.error) << b.text;
}

TEST(LdirectordCf, UnreadableFileIsAConfigError) {
  try {
    read_ldirectord_cf(kData + "/does-not-exist.cf");
    FAIL();
  } catch (const halb::config::ConfigError& e) {
    EXPECT_EQ(e.line(), 0);
  }
}

}  // namespace
}  // namespace halb::director::config
