// tests/unit/director/backend/kernel_ipvs_test.cc: on a kernel without IPVS
// (the build machine's), the backend says so with ENOPROTOOPT instead of
// half-working; available() agrees with the constructor. The commands
// themselves are exercised against a real kernel in tests/vm.
#include "director/backend/kernel_ipvs.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace halb::director::backend {
namespace {

TEST(KernelIpvs, AvailableAgreesWithConstruction) {
  if (KernelIpvsBackend::available()) {
    // A kernel with IPVS: construction needs nothing else (reads need
    // CAP_NET_ADMIN, construction does not).
    KernelIpvsBackend b;
    EXPECT_EQ(b.name(), "kernel");
    return;
  }
  try {
    KernelIpvsBackend b;
    FAIL() << "constructed without an IPVS family";
  } catch (const BackendError& e) {
    EXPECT_EQ(e.err(), ENOPROTOOPT);
    EXPECT_NE(std::string(e.what()).find("IPVS"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace halb::director::backend
