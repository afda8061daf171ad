// cluster/ndbd/engine/memory.cc: slot and chunk packing over page pools.
#include "cluster/ndbd/engine/memory.h"

#include <algorithm>

namespace halb::cluster::engine {

SlotPages::SlotPages(PagePool& pool, uint32_t slot_bytes)
    : pool_(pool), per_page_(std::max<uint32_t>(1, pool.page_bytes() / std::max<uint32_t>(4, align4(slot_bytes)))) {}

SlotPages::~SlotPages() {
  for (auto& p : pages_)
    if (p.held) pool_.give();
}

bool SlotPages::needs_page() const { return with_room_.empty(); }

std::optional<SlotPages::Ref> SlotPages::alloc() {
  if (with_room_.empty()) {
    // Reuse a released page record if there is one, else a new record.
    uint32_t idx = 0;
    while (idx < pages_.size() && pages_[idx].held) ++idx;
    if (!pool_.take()) return std::nullopt;
    if (idx == pages_.size()) pages_.emplace_back();
    Page& p = pages_[idx];
    p.held = true;
    p.used = 0;
    p.free_slots.clear();
    for (uint32_t s = per_page_; s-- > 0;) p.free_slots.push_back(s);
    with_room_.push_back(idx);
  }
  uint32_t idx = with_room_.back();
  Page& p = pages_[idx];
  Ref r{idx, p.free_slots.back()};
  p.free_slots.pop_back();
  ++p.used;
  if (p.free_slots.empty()) with_room_.pop_back();
  return r;
}

void SlotPages::free(Ref r) {
  Page& p = pages_[r.page];
  if (p.free_slots.empty()) with_room_.push_back(r.page);
  p.free_slots.push_back(r.slot);
  if (--p.used == 0) {
    p.held = false;
    p.free_slots.clear();
    with_room_.erase(std::find(with_room_.begin(), with_room_.end(), r.page));
    pool_.give();
  }
}

uint32_t SlotPages::pages_held() const {
  return static_cast<uint32_t>(std::count_if(pages_.begin(), pages_.end(), [](const Page& p) { return p.held; }));
}

ChunkPages::~ChunkPages() {
  for (auto& p : pages_)
    if (p.held)
      for (uint32_t k = 0; k < p.span; ++k) pool_.give();
}

std::optional<uint32_t> ChunkPages::fitting_page(uint32_t bytes) const {
  for (uint32_t i = 0; i < pages_.size(); ++i)
    if (pages_[i].held && pages_[i].span == 1 && pool_.page_bytes() - pages_[i].used >= bytes) return i;
  return std::nullopt;
}

std::optional<uint32_t> ChunkPages::pages_needed(uint32_t bytes) const {
  bytes = align4(bytes);
  if (bytes > pool_.page_bytes()) {
    uint32_t span = (bytes + pool_.page_bytes() - 1) / pool_.page_bytes();
    if (span > pool_.total_pages()) return std::nullopt;
    return span;
  }
  return fitting_page(bytes) ? 0u : 1u;
}

std::optional<uint32_t> ChunkPages::alloc(uint32_t bytes) {
  bytes = align4(bytes);
  if (bytes > pool_.page_bytes()) {
    const uint32_t span = (bytes + pool_.page_bytes() - 1) / pool_.page_bytes();
    if (pool_.free_pages() < span) return std::nullopt;
    for (uint32_t k = 0; k < span; ++k) pool_.take();
    uint32_t i = 0;
    while (i < pages_.size() && pages_[i].held) ++i;
    if (i == pages_.size()) pages_.emplace_back();
    pages_[i] = Page{true, bytes, span};
    return i;
  }
  auto idx = fitting_page(bytes);
  if (!idx) {
    if (!pool_.take()) return std::nullopt;
    uint32_t i = 0;
    while (i < pages_.size() && pages_[i].held) ++i;
    if (i == pages_.size()) pages_.emplace_back();
    pages_[i] = Page{true, 0};
    idx = i;
  }
  pages_[*idx].used += bytes;
  return idx;
}

void ChunkPages::free(uint32_t page, uint32_t bytes) {
  Page& p = pages_[page];
  p.used -= align4(bytes);
  if (p.used == 0) {
    p.held = false;
    for (uint32_t k = 0; k < p.span; ++k) pool_.give();
    p.span = 1;
  }
}

uint32_t ChunkPages::pages_held() const {
  uint32_t n = 0;
  for (const auto& p : pages_)
    if (p.held) n += p.span;
  return n;
}

}  // namespace halb::cluster::engine
