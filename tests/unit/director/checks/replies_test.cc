// tests/unit/director/checks/replies_test.cc: the reply parsers of
// replies.h on real servers' answers and on the broken ones a hostile real
// may send.
#include "director/checks/replies.h"

#include <gtest/gtest.h>

#include "director/checks/mysql_wire.h"

namespace halb::director::checks {
namespace {

// A byte string from a literal that may hold NULs.
#define B(lit) std::string(lit, sizeof(lit) - 1)

TEST(Replies, DnsAnswerWithACompressedName) {
  std::string p = B("\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x07" "example\x03" "com\x00\x00\x01\x00\x01"
                    "\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22");
  DnsAnswer a = parse_dns_answer(p, 0x1234);
  EXPECT_TRUE(a.ours);
  EXPECT_EQ(a.rcode, 0);
  EXPECT_EQ(a.values, std::vector<std::string>{"93.184.216.34"});
  EXPECT_FALSE(a.malformed);
  EXPECT_FALSE(parse_dns_answer(p, 0x1235).ours);
}

TEST(Replies, DnsAnswerCutShortKeepsTheRecordsBefore) {
  std::string p = B("\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00\x01" "a\x00\x00\x01\x00\x01"
                    "\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x0a\x00\x00\x02"
                    "\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x0a");
  DnsAnswer a = parse_dns_answer(p, 0x1234);
  EXPECT_EQ(a.values, std::vector<std::string>{"10.0.0.2"});
  EXPECT_TRUE(a.malformed);
}

TEST(Replies, DnsNameThatPointsAtItselfIsMalformed) {
  std::string p = B("\x12\x34\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00\xc0\x0c\x00\x0c\x00\x01\x00\x00\x00\x01\x00\x02"
                    "\xc0\x0c");
  DnsAnswer a = parse_dns_answer(p, 0x1234);
  EXPECT_TRUE(a.ours);
  EXPECT_TRUE(a.malformed);
  EXPECT_TRUE(a.values.empty());
}

TEST(Replies, RadiusAnswerMustBeSignedWithTheSecret) {
  std::string authenticator(16, 'A');
  std::string reject = B("\x03\x2a\x00\x1e") + std::string(16, '\0') + B("\x12\x0a" "Rejected");
  reject.replace(4, 16, md5(reject.substr(0, 4) + authenticator + reject.substr(20) + "s3cret"));
  RadiusAnswer a = parse_radius_answer(reject, 0x2a, authenticator, "s3cret");
  EXPECT_EQ(a.kind, RadiusAnswer::signed_);
  EXPECT_EQ(a.code, 3);
  EXPECT_EQ(parse_radius_answer(reject, 0x2a, authenticator, "other").kind, RadiusAnswer::unsigned_);
  EXPECT_EQ(parse_radius_answer(reject, 0x2b, authenticator, "s3cret").kind, RadiusAnswer::not_ours);
  reject[3] = '\x40';  // longer than the datagram
  EXPECT_EQ(parse_radius_answer(reject, 0x2a, authenticator, "s3cret").kind, RadiusAnswer::malformed);
}

TEST(Replies, SipFirstLineWaitsForTheNewlineOverTcpOnly) {
  EXPECT_FALSE(sip_first_line("SIP/2.0 200", false));
  EXPECT_EQ(sip_first_line("SIP/2.0 200", true), "SIP/2.0 200");
  EXPECT_EQ(sip_first_line("SIP/2.0 200 OK\r\nVia: x\r\n", false), "SIP/2.0 200 OK");
  EXPECT_EQ(sip_first_line(std::string(5000, 'x'), false)->size(), 120u);
}

TEST(Replies, PgMessagesAndTheirErrorText) {
  std::string in = B("R\x00\x00\x00\x08\x00\x00\x00\x00" "E\x00\x00\x00\x18" "SFATAL\0" "Mno such db\0\0" "Z\x00");
  bool malformed = false;
  auto r = take_pg_message(in, malformed);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, 'R');
  EXPECT_EQ(get32be(r->body, 0), 0u);
  auto e = take_pg_message(in, malformed);
  ASSERT_TRUE(e);
  EXPECT_EQ(pg_error_message(e->body), "no such db");
  EXPECT_FALSE(take_pg_message(in, malformed));
  EXPECT_FALSE(malformed);
  std::string bad = B("Z\x00\x00\x00\x03");
  EXPECT_FALSE(take_pg_message(bad, malformed));
  EXPECT_TRUE(malformed);
  EXPECT_EQ(pg_error_message(B("Mcut short")), "error");
}

TEST(Replies, DialogLinesAndJudges) {
  std::string in = "220-mail\r\n220 ready\npartial";
  EXPECT_EQ(take_line(in), "220-mail");
  EXPECT_EQ(take_line(in), "220 ready");
  EXPECT_FALSE(take_line(in));
  EXPECT_EQ(in, "partial");
  EXPECT_EQ(smtp_reply('2')("220-mail"), Judged::more);
  EXPECT_EQ(smtp_reply('2')("220 ready"), Judged::ok);
  EXPECT_EQ(smtp_reply('2')("55"), Judged::bad);
  EXPECT_EQ(imap_tagged("a1")("* CAPABILITY"), Judged::more);
  EXPECT_EQ(imap_tagged("a1")("a1 OK done"), Judged::ok);
  EXPECT_EQ(line_starts("+OK")("-ERR"), Judged::bad);
  EXPECT_EQ(printable(B("a\nb\0c") + std::string(200, 'x')).substr(0, 5), "a?b?c");
  EXPECT_EQ(printable(std::string(200, 'x')).size(), 120u);
}

TEST(Replies, HttpHead) {
  std::string in = "HTTP/1.1 301 Moved\r\nlocation: /x\r\nContent-Length: 12\r\n\r\nbody";
  auto end = http_head_end(in);
  ASSERT_TRUE(end);
  EXPECT_EQ(in.substr(end->first + end->second), "body");
  auto h = parse_http_head(std::string_view(in).substr(0, end->first));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 301);
  EXPECT_EQ(h->content_length, 12);
  EXPECT_TRUE(h->has_location);
  EXPECT_FALSE(h->chunked);
  EXPECT_FALSE(parse_http_head("HTTP/1.1 2x0 OK"));
  EXPECT_FALSE(parse_http_head("HTTP/1.1"));
  EXPECT_FALSE(http_head_end("HTTP/1.1 200 OK\r\n"));
}

TEST(Replies, MysqlAuthSwitch) {
  std::string plugin;
  auto sw = mysql::parse_auth_switch(B("\xfe" "mysql_native_password\0" "ABCDEFGHIJKLMNOPQRST\0"), plugin);
  ASSERT_TRUE(sw);
  EXPECT_EQ(sw->plugin, "mysql_native_password");
  EXPECT_EQ(sw->scramble, "ABCDEFGHIJKLMNOPQRST");
  EXPECT_FALSE(mysql::parse_auth_switch(B("\xfe" "sha256_password"), plugin));
  EXPECT_EQ(plugin, "sha256_password");
  EXPECT_FALSE(mysql::parse_auth_switch("", plugin));
  EXPECT_EQ(plugin, "");
}

}  // namespace
}  // namespace halb::director::checks
