// cluster/ndbd/engine/memory.h: DataMemory and IndexMemory as page pools.
//
// As in ndbd, DataMemory is cut into 32 KB pages and IndexMemory into 8 KB
// pages at start; a fragment takes whole pages from its pool and gives a page
// back the moment nothing on it is in use, so freed memory serves any table.
// Row bytes themselves live in the row's own buffer; the pages here are the
// unit of charge, packed the way NDB packs them: fixed parts in equal slots
// (a page holds floor(32768 / slot) of them), var parts, ordered index
// entries and hash index entries by length (4-byte aligned) in the first
// page with room.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

namespace halb::cluster::engine {

inline constexpr uint32_t kDataPageBytes = 32 * 1024;
inline constexpr uint32_t kIndexPageBytes = 8 * 1024;
// Per-row header in the fixed slot: header word, checksum/GCI, var part reference.
inline constexpr uint32_t kRowHeaderBytes = 16;
// Per hash index entry besides the key: element header and row reference.
inline constexpr uint32_t kIndexEntryOverhead = 16;
// Per ordered index entry besides index key and primary key: node links.
inline constexpr uint32_t kOrderedEntryOverhead = 8;

inline uint32_t align4(uint32_t n) { return (n + 3) & ~3u; }

class PagePool {
 public:
  PagePool(uint64_t bytes, uint32_t page_bytes)
      : page_bytes_(page_bytes), total_(static_cast<uint32_t>(bytes / page_bytes)) {}
  uint32_t page_bytes() const { return page_bytes_; }
  uint32_t total_pages() const { return total_; }
  uint32_t used_pages() const { return used_; }
  uint32_t free_pages() const { return total_ - used_; }
  bool take() {
    if (used_ >= total_) return false;
    ++used_;
    return true;
  }
  void give() { --used_; }

 private:
  uint32_t page_bytes_;
  uint32_t total_;
  uint32_t used_ = 0;
};

// Equal-sized slots (the fixed part of rows of one table in one fragment).
class SlotPages {
 public:
  struct Ref {
    uint32_t page = 0;
    uint32_t slot = 0;
  };
  SlotPages(PagePool& pool, uint32_t slot_bytes);
  ~SlotPages();
  SlotPages(const SlotPages&) = delete;
  SlotPages& operator=(const SlotPages&) = delete;

  bool needs_page() const;  // would the next alloc() take a page from the pool?
  std::optional<Ref> alloc();
  void free(Ref r);
  uint32_t pages_held() const;

 private:
  struct Page {
    bool held = false;
    std::vector<uint32_t> free_slots;
    uint32_t used = 0;
  };
  PagePool& pool_;
  uint32_t per_page_;
  std::vector<Page> pages_;
  std::vector<uint32_t> with_room_;  // held pages that have a free slot
  std::set<uint32_t> unheld_;  // records of pages given back, reused lowest first
};

// Variable-length chunks charged by length (var parts, hash index entries).
// A chunk longer than a page (a var part with a 64 KB TEXT) takes whole
// pages of its own.
class ChunkPages {
 public:
  ChunkPages(PagePool& pool) : pool_(pool) {}
  ~ChunkPages();
  ChunkPages(const ChunkPages&) = delete;
  ChunkPages& operator=(const ChunkPages&) = delete;

  // Pages alloc(bytes) would take from the pool (0 when it fits a held
  // page); nullopt when the pool could never hold it.
  std::optional<uint32_t> pages_needed(uint32_t bytes) const;
  // The page the chunk went to; nullopt when the pool is exhausted.
  std::optional<uint32_t> alloc(uint32_t bytes);
  void free(uint32_t page, uint32_t bytes);
  uint32_t pages_held() const;

 private:
  struct Page {
    bool held = false;
    uint32_t used = 0;
    uint32_t span = 1;  // pool pages held: more than 1 for one chunk longer than a page
  };
  std::optional<uint32_t> fitting_page(uint32_t bytes) const;
  uint32_t new_record();     // lowest record of a page given back, else a new one
  void update_room(uint32_t i);  // pages_[i] changed
  PagePool& pool_;
  std::vector<Page> pages_;
  // A max tree over each page's free bytes (-1: not held, or one long
  // chunk's): the first page with room takes O(log pages) to find. A walk
  // over every page per chunk made a 1 GB load and restart quadratic.
  std::vector<int64_t> room_;  // leaves at cap_ .. 2 * cap_ - 1
  uint32_t cap_ = 0;
  std::set<uint32_t> unheld_;
};

}  // namespace halb::cluster::engine
