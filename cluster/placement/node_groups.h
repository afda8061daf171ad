// cluster/placement/node_groups.h: where data lives, as pure functions.
//
// NDB cuts the data nodes, in ascending id order, into node groups of
// NoOfReplicas nodes (2,3,4,5 with two replicas: {2,3} and {4,5}). A table
// is split into fragments -- by default one per data node, as single-threaded
// ndbd does -- and fragment f lives in group f mod #groups with one replica
// on every member. Which member is primary rotates with each pass over the
// groups, so every node is primary for the same number of fragments
// (F0: 2 primary, 3 backup; F2: 3 primary, 2 backup). A row goes to the
// fragment its key hashes to: MD5 of the key bytes (the first four digest
// bytes, little-endian, stand in for NDB's md5_hash word), folded onto the
// fragment count by linear hashing as DIH does. The hash is not bit-equal
// to NDB's, so a halb backup cannot be restored into a real NDB by fragment.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace halb::cluster {

struct NodeGroup {
  uint32_t id = 0;                // 0, 1, ...
  std::vector<uint32_t> members;  // ascending node ids
};

// Groups from data node ids (any order) and NoOfReplicas. Throws
// std::invalid_argument when replicas is 0 or does not divide the node count,
// or an id repeats: a validated config never gets there.
std::vector<NodeGroup> make_node_groups(std::vector<uint32_t> data_node_ids, uint32_t replicas);

// Fragments a table gets when it asks for none: one per data node.
uint32_t default_fragment_count(size_t data_nodes);

struct FragmentReplicas {
  uint32_t fragment = 0;
  uint32_t node_group = 0;
  uint32_t primary = 0;            // node id serving reads and leading the write chain
  std::vector<uint32_t> backups;   // node ids, in write-chain order
};

// Replica placement of fragment `fragment` over `groups` (non-empty).
FragmentReplicas place_fragment(const std::vector<NodeGroup>& groups, uint32_t fragment);
// All fragments of a table with `fragments` fragments.
std::vector<FragmentReplicas> place_table(const std::vector<NodeGroup>& groups, uint32_t fragments);

// 32-bit distribution hash of a key (see above).
uint32_t key_hash(std::string_view key);
// Linear hashing of a hash onto `fragments` (> 0) fragments: mask with the
// largest power of two not above the count, and use one more bit for the
// fragments below the split pointer.
uint32_t fragment_of_hash(uint32_t hash, uint32_t fragments);
inline uint32_t fragment_of_key(std::string_view key, uint32_t fragments) {
  return fragment_of_hash(key_hash(key), fragments);
}

}  // namespace halb::cluster
