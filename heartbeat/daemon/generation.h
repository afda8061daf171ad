// heartbeat/daemon/generation.h: the node's generation number (`hg`),
// persisted in the state directory and raised on every start, so peers can
// tell a restart (higher generation) from a replayed packet (lower) and from
// a node returning after a partition (same).
#pragma once

#include <cstdint>
#include <string>

namespace halb::heartbeat {

// Read <state_dir>/hb_generation, add one, write it back durably (fsync of
// the file and the directory). Returns false with `error` when it cannot.
bool next_generation(const std::string& state_dir, uint64_t& generation, std::string& error);

}  // namespace halb::heartbeat
