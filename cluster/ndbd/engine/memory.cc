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
    if (!pool_.take()) return std::nullopt;
    uint32_t idx = static_cast<uint32_t>(pages_.size());
    if (!unheld_.empty()) {
      idx = *unheld_.begin();
      unheld_.erase(unheld_.begin());
    } else {
      pages_.emplace_back();
    }
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
    unheld_.insert(r.page);
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
  if (cap_ == 0 || room_[1] < static_cast<int64_t>(bytes)) return std::nullopt;
  uint32_t node = 1;
  while (node < cap_) node = room_[2 * node] >= static_cast<int64_t>(bytes) ? 2 * node : 2 * node + 1;
  return node - cap_;
}

uint32_t ChunkPages::new_record() {
  if (unheld_.empty()) {
    pages_.emplace_back();
    return static_cast<uint32_t>(pages_.size() - 1);
  }
  uint32_t i = *unheld_.begin();
  unheld_.erase(unheld_.begin());
  return i;
}

void ChunkPages::update_room(uint32_t i) {
  auto leaf = [&](uint32_t k) -> int64_t {
    if (k >= pages_.size() || !pages_[k].held || pages_[k].span != 1) return -1;
    return static_cast<int64_t>(pool_.page_bytes()) - pages_[k].used;
  };
  if (i >= cap_) {
    while (i >= cap_) cap_ = cap_ ? 2 * cap_ : 64;
    room_.assign(2 * static_cast<size_t>(cap_), -1);
    for (uint32_t k = 0; k < pages_.size(); ++k) room_[cap_ + k] = leaf(k);
    for (uint32_t n = cap_ - 1; n >= 1; --n) room_[n] = std::max(room_[2 * n], room_[2 * n + 1]);
    return;
  }
  uint32_t n = cap_ + i;
  room_[n] = leaf(i);
  for (n /= 2; n >= 1; n /= 2) room_[n] = std::max(room_[2 * n], room_[2 * n + 1]);
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
    const uint32_t i = new_record();
    pages_[i] = Page{true, bytes, span};
    update_room(i);
    return i;
  }
  auto idx = fitting_page(bytes);
  if (!idx) {
    if (!pool_.take()) return std::nullopt;
    const uint32_t i = new_record();
    pages_[i] = Page{true, 0};
    idx = i;
  }
  pages_[*idx].used += bytes;
  update_room(*idx);
  return idx;
}

void ChunkPages::free(uint32_t page, uint32_t bytes) {
  Page& p = pages_[page];
  p.used -= align4(bytes);
  if (p.used == 0) {
    p.held = false;
    for (uint32_t k = 0; k < p.span; ++k) pool_.give();
    p.span = 1;
    unheld_.insert(page);
  }
  update_room(page);
}

uint32_t ChunkPages::pages_held() const {
  uint32_t n = 0;
  for (const auto& p : pages_)
    if (p.held) n += p.span;
  return n;
}

}  // namespace halb::cluster::engine
