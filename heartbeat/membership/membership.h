// heartbeat/membership/membership.h: who is alive, over which links.
//
// A pure state machine: the daemon feeds it every authenticated message it
// hears (with the medium it came on) and calls tick() on a timer; both take
// the current time explicitly, so tests drive it with a fake clock. It
// answers with events the daemon logs and hands to the resource policy.
//
// Node states follow heartbeat: init (never heard) -> up (heard, comm not
// yet confirmed) -> active (it says it is active) -> dead (silent for its
// deadtime). Links are (node, medium device) pairs, up or dead on their own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace halb::heartbeat {

enum class NodeStatus { init, up, active, dead };
const char* status_word(NodeStatus s);

struct Timing {
  long long keepalive_ms = 1000;
  long long deadtime_ms = 30000;
  long long warntime_ms = 15000;
  long long initdead_ms = 60000;
};

// One authenticated message as membership needs it.
struct Heard {
  std::string node;             // src, lowercased
  std::string link;             // medium device it arrived on
  uint64_t generation = 0;      // hg
  uint64_t seq = 0;             // 0 for messages that carry none
  std::optional<std::string> status;  // st= of a t=status message
  long long advertised_deadtime_ms = 0;  // dt= (0: not given)
  bool shutdown_done = false;   // t=shutdone
};

struct MembershipEvent {
  enum Kind {
    link_up,              // "Link X:eth1 up."
    link_dead,            // "Link X:eth1 dead."
    node_status,          // "Status update for node X: status S"
    node_dead,            // "node X: is dead"
    late_heartbeat,       // "Late heartbeat: Node X: interval N ms"
    returned_after_partition,  // a dead node is back with the same generation
    restarted,            // a higher generation: the peer restarted
    comm_up,              // every node heard from or dead: local status -> active
  } kind;
  std::string node;
  std::string link;
  NodeStatus status = NodeStatus::init;
  long long interval_ms = 0;
};

// Why a message was not passed on.
enum class Verdict { fresh, duplicate, replay, unknown_node };

class Membership {
 public:
  Membership(std::string local, std::vector<std::string> nodes, std::vector<std::string> links, Timing timing);

  // The daemon started at now_ms: silence from a node is judged by initdead
  // until comm is up.
  void start(long long now_ms);
  // A message from a node (may be ourselves: our own packets looped back
  // prove our links work). Fills events; returns whether the message is new.
  Verdict on_message(const Heard& heard, long long now_ms, std::vector<MembershipEvent>& events);
  // Check deadlines; call at least every keepalive.
  void tick(long long now_ms, std::vector<MembershipEvent>& events);
  // The node left the cluster on purpose (shutdown notice): dead at once
  // without the deadtime wait, and without "returning after partition" later.
  void mark_departed(const std::string& node, std::vector<MembershipEvent>& events);

  NodeStatus status(const std::string& node) const;
  bool comm_up() const { return comm_up_; }
  bool is_member(const std::string& node) const { return nodes_.count(node) != 0; }
  const std::string& local() const { return local_; }
  std::vector<std::string> nodes() const;
  std::vector<std::string> peers() const;
  std::vector<std::string> links() const { return links_; }
  bool link_up(const std::string& node, const std::string& link) const;
  uint64_t generation(const std::string& node) const;
  unsigned long replays_rejected() const { return replays_; }
  const Timing& timing() const { return timing_; }

  // How many sequence numbers behind the newest one are still remembered
  // for duplicate detection; older ones count as replays.
  static constexpr uint64_t kSeqWindow = 500;

 private:
  struct LinkState {
    bool up = false;
    long long last_ms = 0;
  };
  struct NodeState {
    NodeStatus status = NodeStatus::init;
    bool ever_heard = false;
    bool departed = false;  // left by shutdown notice
    uint64_t generation = 0;
    uint64_t max_seq = 0;
    std::set<uint64_t> recent;  // seqs in (max_seq - kSeqWindow, max_seq]
    long long last_ms = 0;         // any message
    long long last_status_ms = -1;  // last t=status, for late heartbeat warnings
    long long advertised_dt_ms = 0;
    std::map<std::string, LinkState> links;
  };
  long long deadline_ms(const NodeState& n) const;
  void check_comm_up(std::vector<MembershipEvent>& events);
  void set_status(const std::string& name, NodeState& n, NodeStatus s, std::vector<MembershipEvent>& events);

  std::string local_;
  std::vector<std::string> links_;
  Timing timing_;
  std::map<std::string, NodeState> nodes_;
  long long start_ms_ = 0;
  bool comm_up_ = false;
  unsigned long replays_ = 0;
};

}  // namespace halb::heartbeat
