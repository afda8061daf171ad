// cluster/placement/node_groups.cc: node groups, replica placement and the
// key hash (see node_groups.h).
#include "cluster/placement/node_groups.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

namespace halb::cluster {

std::vector<NodeGroup> make_node_groups(std::vector<uint32_t> ids, uint32_t replicas) {
  if (replicas == 0 || ids.size() % replicas != 0)
    throw std::invalid_argument("Invalid no of db nodes wrt no of replicas: " + std::to_string(ids.size()) +
                                " nodes, " + std::to_string(replicas) + " replicas");
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end())
    throw std::invalid_argument("data node id repeated");
  std::vector<NodeGroup> groups;
  for (size_t i = 0; i < ids.size(); i += replicas) {
    NodeGroup g;
    g.id = static_cast<uint32_t>(groups.size());
    g.members.assign(ids.begin() + static_cast<std::ptrdiff_t>(i), ids.begin() + static_cast<std::ptrdiff_t>(i + replicas));
    groups.push_back(std::move(g));
  }
  return groups;
}

uint32_t default_fragment_count(size_t data_nodes) { return static_cast<uint32_t>(data_nodes); }

FragmentReplicas place_fragment(const std::vector<NodeGroup>& groups, uint32_t fragment) {
  if (groups.empty() || groups.front().members.empty()) throw std::invalid_argument("no node groups");
  const uint32_t n_groups = static_cast<uint32_t>(groups.size());
  const NodeGroup& g = groups[fragment % n_groups];
  const size_t replicas = g.members.size();
  // Each full pass over the groups moves the primary one member on, so when
  // the fragment count is a multiple of the node count every member is
  // primary equally often.
  const size_t first = (fragment / n_groups) % replicas;
  FragmentReplicas out;
  out.fragment = fragment;
  out.node_group = g.id;
  out.primary = g.members[first];
  for (size_t i = 1; i < replicas; ++i) out.backups.push_back(g.members[(first + i) % replicas]);
  return out;
}

std::vector<FragmentReplicas> place_table(const std::vector<NodeGroup>& groups, uint32_t fragments) {
  std::vector<FragmentReplicas> out;
  out.reserve(fragments);
  for (uint32_t f = 0; f < fragments; ++f) out.push_back(place_fragment(groups, f));
  return out;
}

uint32_t key_hash(std::string_view key) {
  // Every key operation hashes its key, on the API side and again on the
  // data nodes. EVP_Digest(EVP_md5()) looked MD5 up in OpenSSL's provider
  // store on each call (a lock, allocations: 294 ns for a short key here);
  // fetched once, with a context per thread, the same digest takes 110 ns.
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // MD5 cannot fail on memory input with the default provider; were it
  // unavailable (a FIPS-only configuration), every key would hash to 0 alike
  // and all rows sit in fragment 0: never a row looked for in one fragment
  // and stored in another.
  if (!md5 || !ctx || EVP_DigestInit_ex2(ctx.get(), md5, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), key.data(), key.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1 ||
      len < 4)
    return 0;
  return static_cast<uint32_t>(digest[0]) | static_cast<uint32_t>(digest[1]) << 8 |
         static_cast<uint32_t>(digest[2]) << 16 | static_cast<uint32_t>(digest[3]) << 24;
}

uint32_t fragment_of_hash(uint32_t hash, uint32_t fragments) {
  if (fragments <= 1) return 0;
  uint32_t low = 1;  // largest power of two <= fragments
  while (low <= fragments / 2) low <<= 1;
  const uint32_t split = fragments - low;  // fragments below this use one more bit
  uint32_t f = hash & (low - 1);
  if (f < split) f = hash & (2 * low - 1);
  return f;
}

}  // namespace halb::cluster
