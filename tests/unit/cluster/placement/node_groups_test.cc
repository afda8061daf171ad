// Node groups, fragment replica placement and the key hash: groups cut in
// id order, one fragment per node by default, primaries balanced, the
// reference's F0/F2 example, and linear hashing staying inside the count.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cluster/placement/node_groups.h"

using namespace halb::cluster;

namespace {

using Ids = std::vector<uint32_t>;

TEST(NodeGroups, ConsecutiveIdsFillGroups) {
  auto g = make_node_groups({5, 3, 4, 2}, 2);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].id, 0u);
  EXPECT_EQ(g[0].members, (Ids{2, 3}));
  EXPECT_EQ(g[1].members, (Ids{4, 5}));
  EXPECT_EQ(make_node_groups({3, 4}, 2).size(), 1u);
  EXPECT_EQ(make_node_groups({2, 3, 4, 5}, 1).size(), 4u);
  EXPECT_EQ(make_node_groups({2, 3, 4, 5}, 4)[0].members, (Ids{2, 3, 4, 5}));
}

TEST(NodeGroups, RefusesWhatAConfigWouldRefuse) {
  EXPECT_THROW(make_node_groups({2, 3}, 3), std::invalid_argument);
  EXPECT_THROW(make_node_groups({2, 3}, 0), std::invalid_argument);
  EXPECT_THROW(make_node_groups({2, 2}, 2), std::invalid_argument);
}

TEST(Placement, TwoNodesTwoReplicas) {
  // Seed 002: data nodes 3 and 4, one group.
  auto groups = make_node_groups({3, 4}, 2);
  auto t = place_table(groups, default_fragment_count(2));
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].primary, 3u);
  EXPECT_EQ(t[0].backups, (Ids{4}));
  EXPECT_EQ(t[1].primary, 4u);
  EXPECT_EQ(t[1].backups, (Ids{3}));
}

TEST(Placement, FourNodesTwoReplicasFollowsTheReference) {
  auto groups = make_node_groups({2, 3, 4, 5}, 2);
  auto t = place_table(groups, default_fragment_count(4));
  ASSERT_EQ(t.size(), 4u);
  // F0 primary 2 backup 3; F2 primary 3 backup 2.
  EXPECT_EQ(t[0].node_group, 0u);
  EXPECT_EQ(t[0].primary, 2u);
  EXPECT_EQ(t[0].backups, (Ids{3}));
  EXPECT_EQ(t[2].node_group, 0u);
  EXPECT_EQ(t[2].primary, 3u);
  EXPECT_EQ(t[2].backups, (Ids{2}));
  EXPECT_EQ(t[1].node_group, 1u);
  EXPECT_EQ(t[1].primary, 4u);
  EXPECT_EQ(t[3].primary, 5u);
}

TEST(Placement, PrimariesAreBalanced) {
  for (auto [nodes, replicas] : {std::pair{4u, 2u}, {6u, 3u}, {6u, 2u}, {8u, 4u}, {3u, 1u}}) {
    Ids ids;
    for (uint32_t i = 0; i < nodes; ++i) ids.push_back(10 + i);
    auto groups = make_node_groups(ids, replicas);
    for (uint32_t per_node : {1u, 3u}) {
      std::map<uint32_t, int> primaries, copies;
      for (const auto& f : place_table(groups, nodes * per_node)) {
        ++primaries[f.primary];
        ++copies[f.primary];
        EXPECT_EQ(f.backups.size(), replicas - 1);
        for (auto b : f.backups) {
          ++copies[b];
          EXPECT_NE(b, f.primary);
        }
      }
      ASSERT_EQ(primaries.size(), nodes);
      for (auto [node, n] : primaries) EXPECT_EQ(n, static_cast<int>(per_node)) << node;
      for (auto [node, n] : copies) EXPECT_EQ(n, static_cast<int>(per_node * replicas)) << node;
    }
  }
}

TEST(KeyHash, IsMd5Based) {
  // MD5("") = d41d8cd98f00b204..., first four bytes little-endian.
  EXPECT_EQ(key_hash(""), 0xd98c1dd4u);
  // MD5("abc") = 900150983cd24fb0...
  EXPECT_EQ(key_hash("abc"), 0x98500190u);
  // MD5("message digest") = f96b697d7cb7938d... (RFC 1321's test suite)
  EXPECT_EQ(key_hash("message digest"), 0x7d696bf9u);
}

TEST(KeyHash, EveryThreadHashesAKeyAlike) {
  // Each thread keeps its own digest context: a row's fragment must not
  // depend on which API thread or data node asks.
  std::vector<uint32_t> want;
  for (int i = 0; i < 2000; ++i) want.push_back(key_hash("key-" + std::to_string(i)));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i)
        if (key_hash("key-" + std::to_string(i)) != want[static_cast<size_t>(i)]) ++mismatches;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(key_hash("abc"), 0x98500190u);
}

TEST(KeyHash, LinearHashingStaysInRangeAndSpreads) {
  EXPECT_EQ(fragment_of_hash(0xFFFFFFFFu, 1), 0u);
  EXPECT_EQ(fragment_of_hash(0xFFFFFFFFu, 0), 0u);
  // 3 fragments: low bit picks 1; else two bits pick 0 or 2.
  EXPECT_EQ(fragment_of_hash(0b01, 3), 1u);
  EXPECT_EQ(fragment_of_hash(0b10, 3), 2u);
  EXPECT_EQ(fragment_of_hash(0b00, 3), 0u);
  EXPECT_EQ(fragment_of_hash(0b11, 3), 1u);
  for (uint32_t n : {2u, 3u, 4u, 5u, 7u, 8u}) {
    std::map<uint32_t, int> hits;
    for (int i = 0; i < 4000; ++i) {
      uint32_t f = fragment_of_key("key" + std::to_string(i), n);
      ASSERT_LT(f, n);
      ++hits[f];
    }
    EXPECT_EQ(hits.size(), n);
    // Power-of-two counts split evenly (within noise).
    if ((n & (n - 1)) == 0) {
      for (auto [f, c] : hits) EXPECT_NEAR(c, 4000 / static_cast<int>(n), 4000 / static_cast<int>(n) / 5) << f;
    }
  }
  EXPECT_EQ(fragment_of_key("same", 4), fragment_of_key("same", 4));
}

}  // namespace
