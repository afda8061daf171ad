// heartbeat/resources/policy.h: which resource groups this node should hold.
//
// heartbeat v1's resource protocol for a two-node haresources cluster, as a
// pure state machine: membership events and the peer's resource messages
// go in; messages to send, groups to acquire or release, and log lines come
// out as Actions. The daemon carries the actions out and reports back when
// an acquire or release finished (op_done). No clocks or sockets here: the
// caller passes the time, so tests can drive every path.
//
// Rules (auto_failback on/off; legacy behaves as on, with its warning):
//  - Starting beside a live peer: send `starting`; the peer answers with a
//    `resource` message naming what it holds (rsc_hold) and whether it is
//    stable. A stable peer keeps what it holds; we take our own (local)
//    groups that it does not hold. A peer that is starting too: each side
//    takes its own groups.
//  - auto_failback on: a stable node holding groups whose preferred node is
//    the stable, active peer gives them back; the peer then takes groups
//    that nobody holds and that are its own.
//  - Peer dead or gone by shutdown notice: take every group not held.
//  - Standby (hb_standby): ask_resources me -> other -> done, then the peer
//    acquires and answers done. Takeover asks the peer to do a standby.
//  - A group held by both sides (a healed partition): the node that is not
//    its preferred node releases it, so exactly one holder remains.
//  - Ping nodes (ipfail): the holder that sees fewer ping nodes than a
//    stable, active peer gives up all resources.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "heartbeat/config/model.h"

namespace halb::heartbeat {

// rsc_hold words, from the sender's point of view.
enum class Hold { none, local, foreign, all };
const char* hold_word(Hold h);
Hold hold_from_word(const std::string& w);  // unknown words read as none

struct GroupRef {
  std::string key;        // first resource's text
  std::string preferred;  // haresources node
};

struct Outgoing {
  std::string type;                                         // t=
  std::vector<std::pair<std::string, std::string>> fields;  // in order
};

struct Action {
  enum Kind { send, acquire, release, log } kind = log;
  Outgoing message;                 // send
  std::vector<std::string> groups;  // acquire/release, in haresources order
  int op = 0;                       // acquire/release: id passed back to op_done
  int level = 1;                    // log: 0 debug, 1 info, 2 warn, 3 error, 4 crit
  std::string text;                 // log
};

struct PolicyConfig {
  std::string local;
  std::string peer;  // empty in a one-node cluster
  std::vector<GroupRef> groups;
  AutoFailback auto_failback = AutoFailback::legacy;
  long long standby_timeout_ms = 10000;   // no answer to ask_resources: cancel
  long long start_answer_ms = 10000;      // no answer to `starting`: take our own groups
  bool ping_configured = false;
  long long ping_giveup_ms = 2000;        // imbalance must last this long
};

class Policy {
 public:
  explicit Policy(PolicyConfig config);

  // Membership.
  void comm_up(bool peer_alive, long long now_ms, std::vector<Action>& out);
  void peer_dead(long long now_ms, std::vector<Action>& out);
  void peer_returned(long long now_ms, std::vector<Action>& out);  // after a partition or a restart
  // A resource-protocol message from the peer (starting, resource,
  // ask_resources, hb_takeover, ip-request). Fields by name.
  void on_message(const std::string& type, const std::map<std::string, std::string>& fields, long long now_ms,
                  std::vector<Action>& out);
  // The peer sent its shutdown notice: take over now, without waiting for deadtime.
  void peer_shutdown(long long now_ms, std::vector<Action>& out);
  // An acquire or release finished. failed: groups that did not start.
  void op_done(int op, const std::vector<std::string>& failed, long long now_ms, std::vector<Action>& out);
  // Operator requests (halb-hbctl standby/takeover): which, from our view.
  // Returns false with a reason when the request cannot be made now.
  bool request_standby(Hold which, long long now_ms, std::vector<Action>& out, std::string& why,
                       bool operator_request = true);
  bool request_takeover(Hold which, long long now_ms, std::vector<Action>& out, std::string& why);
  // Reachable ping nodes: ours, and the peer's from its status messages.
  void ping_counts(int local_count, int peer_count, long long now_ms, std::vector<Action>& out);
  // Graceful stop: release everything, then tell the peer.
  void shutdown(long long now_ms, std::vector<Action>& out);
  // Timeouts (standby answer, start answer, ping delay).
  void tick(long long now_ms, std::vector<Action>& out);

  // What we hold (or are acquiring), and whether anything is in flight.
  const std::set<std::string>& held() const { return held_; }
  Hold hold() const { return hold_of(held_); }
  bool in_transition() const { return !ops_.empty() || stage_ == Stage::starting; }
  bool stable() const { return stage_ == Stage::stable && ops_.empty(); }
  bool shut_down() const { return stage_ == Stage::stopped; }
  const std::set<std::string>& peer_held() const { return peer_hold_; }

 private:
  enum class Stage { init, starting, stable, stopping, stopped };
  enum class After { nothing, initial, mach_down, standby_given, standby_taken, failback_given, partition, shutdown,
                     taken };
  struct Op {
    After after = After::nothing;
    std::vector<std::string> groups;
  };

  Hold hold_of(const std::set<std::string>& groups) const;
  std::set<std::string> groups_of(Hold h, bool from_peer_view) const;
  std::vector<std::string> ordered(const std::set<std::string>& s) const;
  bool is_local(const std::string& key) const;
  void acquire(std::set<std::string> groups, After after, std::vector<Action>& out);
  void release(std::set<std::string> groups, After after, std::vector<Action>& out);
  void send_resource(const char* info, std::vector<Action>& out, bool stable = true);
  void log(int level, std::string text, std::vector<Action>& out);
  void become_stable(std::vector<Action>& out);
  void rebalance(long long now_ms, std::vector<Action>& out);
  void take_everything(const char* why, std::vector<Action>& out);

  PolicyConfig cfg_;
  Stage stage_ = Stage::init;
  std::set<std::string> held_;
  std::set<std::string> peer_hold_;
  bool peer_alive_ = false;
  bool peer_stable_ = false;
  bool peer_starting_ = false;
  long long start_sent_ms_ = -1;
  std::map<int, Op> ops_;
  int next_op_ = 1;
  // Standby we asked for: what we give up, and when we asked.
  std::set<std::string> standby_giving_;
  long long standby_asked_ms_ = -1;
  // Standby the peer asked for: what we will take when it says done.
  std::set<std::string> standby_taking_;
  int local_ping_ = -1, peer_ping_ = -1;
  long long ping_imbalance_since_ = -1;
};

}  // namespace halb::heartbeat
