// tests/unit/heartbeat/config/authkeys_test.cc: the authkeys reader against
// the seed's file, key rollover, heartbeat's "auth before keys" quirk, the
// permission check, and each error with its exact "file:line:".
#include "heartbeat/config/authkeys.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/heartbeat/config/test_support.h"

namespace halb::heartbeat {
namespace {

using testing::error_of;
using testing::kData;
using testing::kSeed;

AuthKeys text(const std::string& body) { return parse_authkeys_text(body, "authkeys"); }

// A private copy of a file whose mode the test controls (git keeps no 0600).
class AuthkeysCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/halb-authkeys-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string copy(const std::string& from, mode_t mode) {
    std::string to = dir_ + "/authkeys";
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
    chmod(to.c_str(), mode);
    return to;
  }
  std::string dir_;
};

TEST_F(AuthkeysCopy, TheSeedsKeyIsMd5Index3) {
  AuthKeys k = parse_authkeys(copy(kSeed + "/authkeys", 0600));
  EXPECT_EQ(k.active, 3);
  ASSERT_EQ(k.keys.size(), 1u);
  EXPECT_EQ(k.keys.at(3).method, AuthMethod::md5);
  EXPECT_EQ(k.keys.at(3).secret, "514a49f83820e34c877ff48770e48ea7");
}

TEST_F(AuthkeysCopy, GroupOrWorldReadableIsRefused) {
  for (mode_t mode : {0644, 0640, 0604}) {
    std::string path = copy(kSeed + "/authkeys", mode);
    EXPECT_EQ(error_of([&] { parse_authkeys(path); }),
              path + ": Bad permissions on keyfile [" + path + "], 600 recommended.")
        << std::oct << mode;
    EXPECT_NO_THROW(parse_authkeys(path, false)) << "the check can be skipped (tests, config-test as a user)";
  }
  // Only the read bits matter, as in heartbeat.
  EXPECT_NO_THROW(parse_authkeys(copy(kSeed + "/authkeys", 0400)));
  EXPECT_NO_THROW(parse_authkeys(copy(kSeed + "/authkeys", 0622)));
}

TEST(Authkeys, RolloverKeepsEveryKeyAndSignsWithTheAuthOne) {
  AuthKeys k = parse_authkeys(kData + "/authkeys/rollover", false);
  EXPECT_EQ(k.active, 2);
  ASSERT_EQ(k.keys.size(), 3u);
  EXPECT_EQ(k.keys.at(1).method, AuthMethod::crc);
  EXPECT_EQ(k.keys.at(1).secret, "");
  EXPECT_EQ(k.keys.at(2).method, AuthMethod::sha1);
  EXPECT_EQ(k.keys.at(2).secret, "NewSecret");
  EXPECT_EQ(k.keys.at(3).method, AuthMethod::sha256);
  EXPECT_EQ(k.keys.at(3).secret, "Next#Secret\\") << "a key is one word, # and \\ included";
}

TEST(Authkeys, HeartbeatsOrderRule) {
  // Keys before the auth line are fine as long as the signing one follows it.
  AuthKeys k = text("1 crc\nauth 2\n2 sha1 s\n");
  EXPECT_EQ(k.active, 2);
  EXPECT_EQ(k.keys.size(), 2u);
  EXPECT_EQ(text("auth 0\n0 md5 s\n").active, 0) << "index 0 is valid, whatever the old man page says";
  EXPECT_EQ(text("  # indented comment\nauth 15\n15 SHA1 s\n").keys.at(15).method, AuthMethod::sha1);
}

TEST(Authkeys, ErrorsNameFileAndLine) {
  const std::string d = kData + "/authkeys/";
  EXPECT_EQ(error_of([&] { parse_authkeys(d + "auth_after_keys", false); }),
            d + "auth_after_keys:2: Auth Key [1] not found in keyfile [" + d +
                "auth_after_keys]: key 1 is on line 1, before the auth line; heartbeat only sees keys listed after it");
  EXPECT_EQ(error_of([&] { parse_authkeys(d + "auth_index_missing", false); }),
            d + "auth_index_missing:1: Auth Key [2] not found in keyfile [" + d + "auth_index_missing]");
  EXPECT_EQ(error_of([&] { parse_authkeys(d + "no_auth_line", false); }),
            d + "no_auth_line: Missing auth directive in keyfile [" + d + "no_auth_line]");
  EXPECT_EQ(error_of([&] { parse_authkeys(d + "bad_method", false); }),
            d + "bad_method:2: Invalid authtype [rot13]: crc, md5, sha1 or sha256");
  EXPECT_EQ(error_of([&] { parse_authkeys(d + "sha1_without_key", false); }),
            d + "sha1_without_key:3: Auth method [sha1] requires a key");
  EXPECT_EQ(error_of([&] { parse_authkeys(d + "duplicate_index", false); }),
            d + "duplicate_index:3: Key index [1] given twice (first at line 2)");
  EXPECT_EQ(error_of([&] { parse_authkeys(d + "missing", false); }),
            d + "missing: Cannot open keyfile [" + d + "missing]: No such file or directory");
}

TEST(Authkeys, OtherErrors) {
  EXPECT_EQ(error_of([] { text("auth 1\n1 md5\n"); }), "authkeys:2: Auth method [md5] requires a key");
  EXPECT_EQ(error_of([] { text("auth 1\n1 sha256\n"); }), "authkeys:2: Auth method [sha256] requires a key");
  EXPECT_EQ(error_of([] { text("auth 1\n1 crc secret\n"); }), "authkeys:2: Auth method [crc] doesn't use a key");
  EXPECT_EQ(error_of([] { text("auth 1\n1 sha1 two words\n"); }),
            "authkeys:2: the key of index 1 is more than one word; heartbeat would use only [two]: write the key "
            "without blanks");
  EXPECT_EQ(error_of([] { text("auth 16\n"); }), "authkeys:1: Invalid auth index [16]: keys are numbered 0 to 15");
  EXPECT_EQ(error_of([] { text("auth 1\n16 crc\n"); }),
            "authkeys:2: Invalid authnum [16] in authkeys: keys are numbered 0 to 15");
  EXPECT_EQ(error_of([] { text("auth one\n"); }), "authkeys:1: Invalid auth line [auth one] in authkeys: auth <index>");
  EXPECT_EQ(error_of([] { text("auth 1\nauth 1\n1 crc\n"); }), "authkeys:2: auth given twice (first at line 1)");
  EXPECT_EQ(error_of([] { text("auth 1\nkey 1 crc\n"); }), "authkeys:2: Auth line [key 1 crc] is invalid.");
  EXPECT_EQ(error_of([] { text("auth 1\n1\n"); }), "authkeys:2: Auth line [1] is invalid.");
}

}  // namespace
}  // namespace halb::heartbeat
