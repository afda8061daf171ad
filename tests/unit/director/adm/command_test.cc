// tests/unit/director/adm/command_test.cc: parsing the oracle cannot cover
// (IPv6, netlink-only daemon options, halb's own options and texts) and
// the popt-style word splitting itself.
#include <gtest/gtest.h>

#include "director/adm/backend_choice.h"
#include "director/adm/command.h"
#include "director/adm/popt_lexer.h"
#include "tests/unit/director/adm/fake_names.h"

namespace halb::director::adm {
namespace {

using namespace halb::director::backend;

class Parse : public ::testing::Test {
 protected:
  testing::FakeNames names;
  std::variant<Command, Exit> parse(std::vector<std::string> words) {
    words.insert(words.begin(), "halb-adm");
    return parse_command(words, names);
  }
  Command ok(std::vector<std::string> words) {
    auto r = parse(std::move(words));
    if (auto* e = std::get_if<Exit>(&r)) ADD_FAILURE() << "unexpected exit " << e->status << ": " << e->err;
    return std::holds_alternative<Command>(r) ? std::get<Command>(r) : Command{};
  }
  Exit bad(std::vector<std::string> words) {
    auto r = parse(std::move(words));
    if (!std::holds_alternative<Exit>(r)) {
      ADD_FAILURE() << "parsed";
      return {};
    }
    return std::get<Exit>(r);
  }
};

TEST_F(Parse, Ipv6Service) {
  Command c = ok({"-A", "-t", "[2001:db8::1]:80", "-s", "rr"});
  EXPECT_EQ(c.cmd, Cmd::add_service);
  EXPECT_EQ(c.service.key.family, Family::v6);
  EXPECT_EQ(c.service.key.addr, *IpAddress::parse("2001:db8::1"));
  EXPECT_EQ(c.service.key.port, 80);
  EXPECT_EQ(c.service.netmask, 128u);
  EXPECT_EQ(c.service.scheduler, "rr");
}

TEST_F(Parse, Ipv6WithoutBracketsHasNoPort) {
  Command c = ok({"-A", "-u", "2001:db8::1", "-p"});
  EXPECT_EQ(c.service.key.protocol, Protocol::udp);
  EXPECT_EQ(c.service.key.port, 0);
  EXPECT_EQ(c.service.timeout, 360u);  // ipvsadm's default, not the man page's 300
  EXPECT_EQ(bad({"-A", "-u", "2001:db8::1"}).err, "Zero port specified for non-persistent service\n");
}

TEST_F(Parse, Ipv6PrefixMask) {
  EXPECT_EQ(ok({"-A", "-t", "[2001:db8::1]:80", "-p", "-M", "64"}).service.netmask, 64u);
  Exit e = bad({"-A", "-t", "[2001:db8::1]:80", "-p", "-M", "129"});
  EXPECT_EQ(e.status, 2);
  EXPECT_EQ(e.err, "illegal ipv6 netmask specified\n");
}

TEST_F(Parse, Ipv4MaskIsKeptInHostOrder) {
  EXPECT_EQ(ok({"-A", "-t", "10.0.0.1:80", "-p", "-M", "255.255.255.0"}).service.netmask, 0xffffff00u);
}

TEST_F(Parse, Ipv6Fwmark) {
  Command c = ok({"-A", "-f", "5", "-6", "-s", "rr"});
  EXPECT_EQ(c.service.key.protocol, Protocol::fwmark);
  EXPECT_EQ(c.service.key.fwmark, 5u);
  EXPECT_EQ(c.service.key.family, Family::v6);
  EXPECT_EQ(c.service.key.addr, *IpAddress::parse("::"));  // as the director and the backends key it
  EXPECT_EQ(c.service.netmask, 128u);
}

TEST_F(Parse, Ipv6Dest) {
  Command c = ok({"-a", "-t", "[2001:db8::1]:80", "-r", "[2001:db8::2]:8080", "-m", "-w", "3"});
  EXPECT_EQ(c.dest.addr, *IpAddress::parse("2001:db8::2"));
  EXPECT_EQ(c.dest.port, 8080);
  EXPECT_EQ(c.dest.forward, Forward::masq);
  EXPECT_EQ(c.dest.weight, 3);
}

TEST_F(Parse, TunnelsMayMixFamilies) {
  Command c = ok({"-a", "-t", "[2001:db8::1]:80", "-r", "10.0.0.2", "-i"});
  EXPECT_TRUE(c.dest.addr.is_v4());
  EXPECT_EQ(c.dest.port, 80);  // a tunnel keeps the service's port
  EXPECT_EQ(bad({"-a", "-t", "[2001:db8::1]:80", "-r", "10.0.0.2", "-m"}).err,
            "Different address family is allowed only for tunneling servers\n");
}

TEST_F(Parse, DaemonNetlinkOptions) {
  Command c = ok({"--start-daemon", "master", "--mcast-group", "ff02::1", "--mcast-port", "9000", "--mcast-ttl",
                  "2", "--sync-maxlen", "1400", "--syncid", "9"});
  EXPECT_EQ(c.cmd, Cmd::start_daemon);
  EXPECT_EQ(c.daemon.role, SyncRole::master);
  EXPECT_EQ(c.daemon.mcast_ifn, "eth0");
  ASSERT_TRUE(c.daemon.group);
  EXPECT_EQ(c.daemon.group->str(), "ff02::1");
  EXPECT_EQ(c.daemon.port, 9000);
  EXPECT_EQ(c.daemon.ttl, 2);
  EXPECT_EQ(c.daemon.maxlen, 1400);
  EXPECT_EQ(c.daemon.syncid, 9u);
  EXPECT_EQ(bad({"--start-daemon", "backup", "--mcast-group", "2001:db8::1"}).err,
            "invalid IPv6 mcast-group `2001:db8::1'\n");
  EXPECT_EQ(bad({"--start-daemon", "backup", "--sync-maxlen", "65508"}).err, "illegal sync-maxlen specified\n");
}

TEST_F(Parse, TunnelTypesOtherThanIpip) {
  EXPECT_EQ(bad({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-i", "--tun-type", "gue"}).err,
            "You need to supply the 'tun-port' option for the 'gue' tunnel type\n");
  Exit e = bad({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-i", "--tun-type", "gue", "--tun-port", "6080"});
  EXPECT_EQ(e.status, 2);
  EXPECT_EQ(e.err, "tunnel type 'gue' is not supported by halb-adm (only ipip)\n");
}

TEST_F(Parse, SctpIsRefused) {
  EXPECT_EQ(bad({"-A", "--sctp-service", "10.0.0.1:80"}).err, "SCTP services are not supported by halb-adm\n");
}

TEST_F(Parse, EmptySchedulerFlags) {
  EXPECT_EQ(bad({"-A", "-t", "10.0.0.1:80", "-b", ","}).err, "invalid scheduler flag `,'\n");
}

TEST_F(Parse, HelpAndVersion) {
  Exit h = bad({"-h"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("  halb-adm -L|l [virtual-service] [options]\n"), std::string::npos);
  EXPECT_NE(h.out.find("--backend lvsd|kernel|auto"), std::string::npos);
  EXPECT_EQ(bad({"--help"}).status, 0);
  for (const char* v : {"-v", "-V", "--version"}) {
    Exit e = bad({v});
    EXPECT_EQ(e.status, 0);
    EXPECT_EQ(e.out.rfind("halb-adm ", 0), 0u) << v;
  }
}

TEST_F(Parse, ListFormats) {
  Command c = ok({"-Ln", "--stats", "--exact", "--nosort"});
  EXPECT_TRUE(c.format.numeric);
  EXPECT_TRUE(c.format.stats);
  EXPECT_TRUE(c.format.exact);
  EXPECT_TRUE(c.format.nosort);
  EXPECT_FALSE(c.format.rate);
}

TEST(PoptLexerTest, DoubleDashEndsOptionsAndDashIsAWord) {
  static constexpr OptionSpec table[] = {{"list", 'L', ArgKind::none, 'L'}, {"numeric", 'n', ArgKind::none, 'n'}};
  std::vector<std::string> args{"p", "-L", "-", "--", "-n", "x"};
  PoptLexer lex(args, table);
  Token t = lex.next();
  EXPECT_EQ(t.kind, Token::option);
  EXPECT_EQ(t.tag, 'L');
  EXPECT_EQ(lex.next().kind, Token::end);
  EXPECT_EQ(lex.leftovers(), (std::vector<std::string>{"-", "-n", "x"}));
}

TEST(PoptLexerTest, OptionalValueNeverStartsWithDash) {
  static constexpr OptionSpec table[] = {{"persistent", 'p', ArgKind::optional, 'p'},
                                         {"scheduler", 's', ArgKind::required, 's'}};
  std::vector<std::string> args{"p", "-p", "-s", "-x", "--persistent", "60", "-p"};
  PoptLexer lex(args, table);
  Token t = lex.next();
  EXPECT_FALSE(t.value);
  t = lex.next();
  EXPECT_EQ(t.value, "-x");  // a required value is taken whatever it looks like
  t = lex.next();
  EXPECT_EQ(t.value, "60");
  t = lex.next();
  EXPECT_EQ(t.tag, 'p');
  EXPECT_FALSE(t.value);
  EXPECT_EQ(lex.next().kind, Token::end);
}

TEST(BackendChoiceTest, OptionsAreTakenFromAnywhere) {
  std::vector<std::string> args{"halb-adm", "-L", "--backend", "kernel", "-n", "--lvsd-socket=/tmp/x.sock"};
  BackendChoice c;
  EXPECT_FALSE(take_backend_options(args, c, nullptr));
  EXPECT_EQ(args, (std::vector<std::string>{"halb-adm", "-L", "-n"}));
  EXPECT_EQ(c.which, "kernel");
  EXPECT_EQ(c.lvsd_socket, "/tmp/x.sock");
}

TEST(BackendChoiceTest, EnvironmentThenCommandLine) {
  std::vector<std::string> args{"halb-adm", "-L"};
  BackendChoice c;
  EXPECT_EQ(c.which, "auto");
  EXPECT_FALSE(take_backend_options(args, c, "kernel"));
  EXPECT_EQ(c.which, "kernel");
  args = {"halb-adm", "--backend=lvsd", "-L"};
  EXPECT_FALSE(take_backend_options(args, c, "kernel"));
  EXPECT_EQ(c.which, "lvsd");
  EXPECT_EQ(c.lvsd_socket, "/run/halb/halb-lvsd.sock");
}

TEST(BackendChoiceTest, BadValues) {
  BackendChoice c;
  std::vector<std::string> args{"halb-adm", "--backend", "ipvs"};
  EXPECT_EQ(take_backend_options(args, c, nullptr), "--backend must be lvsd, kernel or auto, not `ipvs'");
  args = {"halb-adm", "-L", "--lvsd-socket"};
  EXPECT_EQ(take_backend_options(args, c, nullptr), "--lvsd-socket: missing argument");
  args = {"halb-adm"};
  EXPECT_EQ(take_backend_options(args, c, "x"), "HALB_ADM_BACKEND must be lvsd, kernel or auto, not `x'");
}

}  // namespace
}  // namespace halb::director::adm
