// tests/unit/support/temp_dir.h: a private directory under /tmp for one
// test, removed with everything in it when the test ends, passed or failed
// (tests must not leave files behind).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace halb::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "halb-test") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
    else ADD_FAILURE() << "mkdtemp " << tmpl << " failed";
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    EXPECT_FALSE(ec) << "cannot remove " << path_ << ": " << ec.message();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace halb::testing
