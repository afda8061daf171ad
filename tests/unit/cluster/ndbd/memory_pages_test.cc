// ChunkPages finds the first page with room through a tree, not a walk:
// the page it picks must be the one a plain first-fit walk would pick,
// through allocs, frees, pages given back and records reused, and chunks
// longer than a page.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <vector>

#include "cluster/ndbd/engine/memory.h"

using namespace halb::cluster::engine;

namespace {

// The first-fit walk ChunkPages did before, as a reference.
struct FirstFit {
  struct Page {
    bool held = false;
    uint32_t used = 0, span = 1;
  };
  uint32_t page_bytes, total, in_use = 0;
  std::vector<Page> pages;
  uint32_t record() {
    uint32_t i = 0;
    while (i < pages.size() && pages[i].held) ++i;
    if (i == pages.size()) pages.emplace_back();
    return i;
  }
  std::optional<uint32_t> alloc(uint32_t bytes) {
    bytes = align4(bytes);
    if (bytes > page_bytes) {
      uint32_t span = (bytes + page_bytes - 1) / page_bytes;
      if (total - in_use < span) return std::nullopt;
      in_use += span;
      uint32_t i = record();
      pages[i] = Page{true, bytes, span};
      return i;
    }
    for (uint32_t i = 0; i < pages.size(); ++i)
      if (pages[i].held && pages[i].span == 1 && page_bytes - pages[i].used >= bytes) {
        pages[i].used += bytes;
        return i;
      }
    if (in_use == total) return std::nullopt;
    ++in_use;
    uint32_t i = record();
    pages[i] = Page{true, bytes, 1};
    return i;
  }
  void free(uint32_t i, uint32_t bytes) {
    pages[i].used -= align4(bytes);
    if (pages[i].used == 0) {
      in_use -= pages[i].span;
      pages[i] = Page{};
    }
  }
};

TEST(ChunkPages, PicksThePageFirstFitWould) {
  PagePool pool(300 * kIndexPageBytes, kIndexPageBytes);
  ChunkPages chunks(pool);
  FirstFit ref{kIndexPageBytes, 300, 0, {}};
  std::mt19937 rng(7);
  std::vector<std::pair<uint32_t, uint32_t>> live;  // (page, bytes)
  for (int step = 0; step < 200000; ++step) {
    const bool grow = live.empty() || rng() % 100 < (step < 100000 ? 60 : 40);
    if (grow) {
      uint32_t bytes = rng() % 1000 == 0 ? kIndexPageBytes + rng() % (2 * kIndexPageBytes) : 4 + rng() % 400;
      const bool fits_held_page = chunks.pages_needed(bytes) == 0u;
      auto want = ref.alloc(bytes);
      // A chunk that went to a page already holding others fitted a held page.
      ASSERT_EQ(fits_held_page, want && ref.pages[*want].span == 1 && ref.pages[*want].used > align4(bytes))
          << "step " << step;
      auto got = chunks.alloc(bytes);
      ASSERT_EQ(got, want) << "step " << step;
      if (got) live.emplace_back(*got, bytes);
    } else {
      size_t k = rng() % live.size();
      chunks.free(live[k].first, live[k].second);
      ref.free(live[k].first, live[k].second);
      live[k] = live.back();
      live.pop_back();
    }
    ASSERT_EQ(pool.used_pages(), ref.in_use) << "step " << step;
  }
  EXPECT_EQ(chunks.pages_held(), ref.in_use);
}

}  // namespace
