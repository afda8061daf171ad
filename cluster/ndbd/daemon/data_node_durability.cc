// cluster/ndbd/daemon/data_node_durability.cc: the data node's files,
// global checkpoints and system restart (see data_node.h, durability.h).
//
// GCP (the master is the lowest started member, NDB's DIH master): every
// TimeBetweenGlobalCheckpoints the master asks every member to hold
// commits (PREPARE), then to switch to GCI n+1 together (COMMIT). Each
// node reports NODE_FINISH once every transaction it coordinates that took
// GCI <= n has committed everywhere, so every change of GCI n is in the
// redo buffers of its replicas. Then SAVE: each node writes the end mark
// of GCI n and fdatasyncs; when all confirmed, GCI n is complete.
//
// Holding commits between PREPARE and COMMIT is what keeps a transaction
// whole within one GCI: no node commits with n+1 while another can still
// commit with n, so a row's later change never carries the smaller GCI.
#include <algorithm>
#include <cstdlib>

#include "cluster/mgmd/arbitration.h"
#include "cluster/ndbd/daemon/data_node.h"
#include "cluster/ndbd/daemon/restart_choice.h"
#include "cluster/ndbd/engine/error.h"
#include "cluster/ndbd/wire/engine_codec.h"

namespace halb::cluster::ndbd {

using wire::ControlMsg;

namespace {

std::optional<uint64_t> parse_gci(const std::string& text) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::strtoull(text.c_str(), nullptr, 10);
}

// "2,3,4" -> {2,3,4}; nullopt when malformed.
std::optional<std::set<uint32_t>> parse_ids(const std::string& text) {
  std::set<uint32_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    auto id = parse_gci(text.substr(pos, end - pos));
    if (!id || *id == 0 || *id > 255) return std::nullopt;
    out.insert(static_cast<uint32_t>(*id));
    pos = end + 1;
  }
  return out;
}

std::string join(const std::set<uint32_t>& ids) {
  std::string s;
  for (uint32_t id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s.empty() ? "none" : s;
}

// Node GCIs <-> "2:15,3:12" (empty map: "").
std::string encode_node_gcis(const std::map<uint32_t, uint64_t>& gcis) {
  std::string s;
  for (auto& [id, gci] : gcis) s += (s.empty() ? "" : ",") + std::to_string(id) + ":" + std::to_string(gci);
  return s;
}

std::optional<std::map<uint32_t, uint64_t>> parse_node_gcis(const std::string& text) {
  std::map<uint32_t, uint64_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(pos, end - pos);
    const size_t colon = item.find(':');
    if (colon == std::string::npos) return std::nullopt;
    auto id = parse_gci(item.substr(0, colon));
    auto gci = parse_gci(item.substr(colon + 1));
    if (!id || !gci || *id == 0 || *id > 255) return std::nullopt;
    out[static_cast<uint32_t>(*id)] = *gci;
    pos = end + 1;
  }
  return out;
}

}  // namespace

bool DataNode::open_files(std::string& error) {
  if (!dur_) return true;
  if (opt_.initial) {
    if (!dur_->create(error)) return false;
    logger_.info("node " + std::to_string(self_) + ": --initial: file system " + opt_.fs_dir + " wiped and created");
    fs_state_ = FsState{};
  } else {
    fs_state_ = dur_->inspect();
    if (fs_state_.has_files)
      logger_.info("node " + std::to_string(self_) + ": files in " + opt_.fs_dir + " restorable to GCI " +
                   std::to_string(fs_state_.restorable_gci) +
                   (fs_state_.note.empty() ? std::string() : "; " + fs_state_.note));
    else if (fs_state_.damaged)
      // Kept for a look; a node restart from the live nodes replaces them.
      logger_.warn("node " + std::to_string(self_) + ": files in " + opt_.fs_dir + " not usable: " + fs_state_.note +
                   "; this node will copy everything from its peers (initial node restart)");
    else if (!dur_->create(error))
      return false;
  }
  if (fs_state_.has_files) start_kind_ = "system restart";
  // The redo log is one user of the change stream; the backup log another.
  // The 410 refusal follows every change, not only the 10 ms tick: a
  // loaded loop can take many commits between two ticks and run past the
  // redo's reserve (the node then has to stop).
  changes_.users.push_back([this, d = dur_.get()](const engine::RowChange& c) {
    d->on_commit(c);
    engine_->lqh().refuse_writes(d->write_refusal());
  });
  return true;
}

void DataNode::event(mgmapi::Category c, int threshold, mgmapi::Severity s, const std::string& text) {
  (s <= mgmapi::Severity::kWarning ? logger_.warn(text) : logger_.info(text));
  if (mgm_) mgm_->report_event(mgmapi::Event{self_, c, threshold, s, text});
}

void DataNode::save_schema(uint64_t gci) {
  if (!dur_) return;
  std::string error;
  if (!dur_->write_schema(*engine_, gci, error)) logger_.error("node " + std::to_string(self_) + ": " + error);
}

uint64_t DataNode::dict_gci(const std::string& text) const {
  auto g = parse_gci(text);
  return g && *g ? *g : gci_;
}

void DataNode::learn_gci(const std::string& text) {
  auto g = parse_gci(text);
  if (!g || *g <= gci_) return;
  gci_ = *g;
  engine_->set_gci(gci_);
}

bool DataNode::is_gcp_type(uint16_t type) const { return type >= wire::kGcpPrepare && type <= wire::kGcpUrgent; }

uint32_t DataNode::gcp_master() const {
  for (uint32_t id : members_) {
    if (id == self_) {
      if (phase_ == Phase::kStarted) return id;
      continue;
    }
    auto it = peers_.find(id);
    if (it != peers_.end() && it->second.hello && it->second.state == wire::NodeStartState::kStarted) return id;
  }
  return 0;
}

void DataNode::gcp_send(uint32_t to, uint16_t type, uint64_t gci, uint32_t error, uint32_t request) {
  ControlMsg m{request, error, std::to_string(gci), ""};
  if (to == self_) loop_.defer([this, type, m] {
      if (phase_ != Phase::kStopping) on_gcp(self_, type, m);
    });
  else send_control(to, type, m);
}

// ---- master side ----------------------------------------------------------------

void DataNode::gcp_timer() {
  if (phase_ != Phase::kStarted || gcp_master() != self_ || round_) return;
  gcp_start_round(gci_ + 1);
}

void DataNode::gcp_start_round(uint64_t gci) {
  round_ = GcpRound{};
  round_->gci = gci;
  for (uint32_t id : members_)
    if (id == self_ || linked(id)) round_->waiting.insert(id);
  for (uint32_t id : round_->waiting) gcp_send(id, wire::kGcpPrepare, gci);
}

void DataNode::gcp_advance() {
  if (!round_ || !round_->waiting.empty()) return;
  GcpRound& r = *round_;
  auto everyone = [&] {
    r.waiting.clear();
    for (uint32_t id : members_)
      if (id == self_ || linked(id)) r.waiting.insert(id);
  };
  switch (r.step) {
    case GcpStep::kPrepare:
      // A node already at or past the proposal (the master changed mid
      // round): every node is holding commits, so jump past it.
      if (r.highest_seen >= r.gci) r.gci = r.highest_seen + 1;
      r.step = GcpStep::kCommit;
      everyone();
      for (uint32_t id : r.waiting) gcp_send(id, wire::kGcpCommit, r.gci);
      return;
    case GcpStep::kCommit:
      r.step = GcpStep::kSave;
      everyone();
      for (uint32_t id : r.waiting) gcp_send(id, wire::kGcpSave, r.gci - 1);
      return;
    case GcpStep::kSave: {
      const uint64_t done = r.gci - 1;
      const bool failed = r.failed;
      const bool urgent = r.urgent;
      round_.reset();
      // CommitDurability=gcp: answers wait for the GCI current now, so
      // rounds run back to back while any wait (a group commit).
      if (urgent) loop_.defer([this] { gcp_timer(); });
      if (failed) return;  // a node could not save: this GCI is not complete
      for (uint32_t id : members_)
        if (id == self_ || linked(id)) gcp_send(id, wire::kGcpComplete, done);
      logger_.debug("Global checkpoint " + std::to_string(done) + " completed");
      return;
    }
  }
}

void DataNode::gcp_node_failed(const std::set<uint32_t>& failed) {
  if (round_) {
    for (uint32_t n : failed) round_->waiting.erase(n);
    gcp_advance();
  }
  // A new master takes over at once; commits held by a PREPARE of the dead
  // master are released by its round's COMMIT.
  if (phase_ == Phase::kStarted && gcp_master() == self_ && !round_) {
    for (uint32_t n : failed)
      if (n < self_) logger_.info("GCP Take over started (node " + std::to_string(n) + " failed)");
    gcp_start_round(gci_ + 1);
  }
}

// ---- every node -----------------------------------------------------------------

void DataNode::on_gcp(uint32_t from, uint16_t type, const ControlMsg& m) {
  auto gci = parse_gci(m.text);
  if (!gci) {
    logger_.limited("gcp-" + std::to_string(from), log::Level::warn,
                    "node " + std::to_string(from) + " sent a checkpoint message without a GCI; ignored");
    return;
  }
  const bool engine_running = phase_ != Phase::kWaiting && phase_ != Phase::kConnecting && phase_ != Phase::kStopping;
  switch (type) {
    case wire::kSrGci: {
      // data: "<highest GCI its files name>|<the nodes it starts with>|<its node GCIs>"
      const size_t bar = m.data.find('|');
      const size_t bar2 = bar == std::string::npos ? std::string::npos : m.data.find('|', bar + 1);
      if (auto h = parse_gci(m.data.substr(0, bar))) sr_highest_gci_ = std::max(sr_highest_gci_, *h);
      auto set = bar == std::string::npos ? std::nullopt : parse_ids(m.data.substr(bar + 1, bar2 - bar - 1));
      auto nodes = bar2 == std::string::npos ? std::make_optional(std::map<uint32_t, uint64_t>{})
                                             : parse_node_gcis(m.data.substr(bar2 + 1));
      if (!set || !set->count(from) || !nodes) {
        logger_.limited("sr-" + std::to_string(from), log::Level::warn,
                        "node " + std::to_string(from) + " sent a restart GCI without a readable start set; ignored");
        return;
      }
      sr_gcis_[from] = {m.request == 1, *gci};
      sr_sets_[from] = *set;
      sr_nodes_[from] = std::move(*nodes);
      sr_decide();
      return;
    }
    case wire::kGcpUrgent:
      if (m.request == 1) {  // a stopping node went idle in this GCI
        drained_by(from, *gci);
        return;
      }
      if (round_) round_->urgent = true;
      else gcp_timer();
      return;
    case wire::kGcpPrepare:
      if (!engine_running) return;
      if (*gci <= gci_) {
        gcp_send(from, wire::kGcpPrepareConf, gci_, 1);
      } else {
        engine_->hold_commits(true);
        gcp_send(from, wire::kGcpPrepareConf, *gci);
      }
      return;
    case wire::kGcpCommit:
      if (!engine_running) return;
      if (*gci > gci_) {
        gci_ = *gci;
        engine_->set_gci(gci_);
      }
      engine_->hold_commits(false);
      finish_pending_ = *gci - 1;
      finish_to_ = from;
      durability_tick();  // reports at once when nothing is committing
      return;
    case wire::kGcpSave: {
      if (!engine_running) return;
      std::string error;
      uint32_t failed = 0;
      if (dur_ && failure_unsettled_) {
        // This side may yet lose a split: its files must not name a GCI
        // holding commits the winner never had. A later round saves it.
        failed = 1;
        logger_.info("node " + std::to_string(self_) + ": GCI " + std::to_string(*gci) +
                     " not saved while a node failure is unsettled");
      } else if (dur_) {
        // The end mark names who took part (NDB's sysfile): a restart
        // later tells a node that left early from one that went on.
        dur_->note_alive(members_, *gci);
        // Until a node restart's copy is on disk (its local checkpoint),
        // this only flushes: the files cannot give such a GCI back.
        if (!dur_->save_gci(*gci, error)) {
          failed = 1;
          logger_.error("node " + std::to_string(self_) + ": cannot save GCI " + std::to_string(*gci) + ": " + error);
        }
      }
      gcp_send(from, wire::kGcpSaveConf, *gci, failed);
      return;
    }
    case wire::kGcpComplete:
      if (dur_) dur_->complete_gci(*gci);
      release_replies();
      if (stop_after_gci_ && *gci < *stop_after_gci_) {
        if (uint32_t master = gcp_master()) gcp_send(master, wire::kGcpUrgent, gci_);
      } else if (stop_after_gci_) {
        logger_.info("node " + std::to_string(self_) + ": GCI " + std::to_string(*gci) + " is complete; stopping");
        loop_.defer([this] { stop(stop_why_, 0); });
      }
      return;
    default:
      break;
  }
  // Answers, on the master.
  if (!round_ || !round_->waiting.count(from)) return;
  switch (type) {
    case wire::kGcpPrepareConf:
      if (round_->step != GcpStep::kPrepare) return;
      if (m.error) round_->highest_seen = std::max(round_->highest_seen, *gci);
      break;
    case wire::kGcpNodeFinish:
      if (round_->step != GcpStep::kCommit || *gci != round_->gci - 1) return;
      if (m.request) round_->urgent = true;
      break;
    case wire::kGcpSaveConf:
      if (round_->step != GcpStep::kSave || *gci != round_->gci - 1) return;
      if (m.error) round_->failed = true;
      break;
    default:
      return;
  }
  round_->waiting.erase(from);
  gcp_advance();
}

void DataNode::durability_tick() {
  if (finish_pending_ && !engine_->tc().committing_at_or_below(finish_pending_)) {
    gcp_send(finish_to_, wire::kGcpNodeFinish, finish_pending_, 0, held_replies_.empty() ? 0 : 1);
    finish_pending_ = 0;
  }
  if (!dur_) return;
  if (dur_->broken()) {
    stop("node " + std::to_string(self_) + ": the redo log failed: " + dur_->broken_reason() +
             "; committed changes can no longer be made durable",
         1);
    return;
  }
  engine_->lqh().refuse_writes(dur_->write_refusal());
  drain_tick();
  // kRestartLcp: the checkpoint that makes a node restart's copy durable.
  if (phase_ == Phase::kStarted || phase_ == Phase::kRestartLcp) dur_->step(*engine_, gci_);
}

// NDB's graceful stop: new transactions get a temporary error, running
// ones end, and only a GCI holding every commit answered so far completes
// before the node goes. A commit answered by another stopping node may sit
// in this node's replicas in a later GCI: stopping nodes tell each other
// the GCI they went idle in, and each waits for the highest it heard.
void DataNode::shutdown(const std::string& why) {
  if (phase_ == Phase::kStopping || draining_) return;
  if (!dur_ || phase_ != Phase::kStarted) {
    stop(why, 0);
    return;
  }
  draining_ = true;
  stop_why_ = why;
  logger_.info(why + ": refusing new transactions; waiting for the running ones and a final global checkpoint");
  shutdown_timer_ = std::make_unique<event::Timer>(loop_, [this] {
    stop(stop_why_ + " (" +
             (stop_after_gci_ ? "GCI " + std::to_string(*stop_after_gci_) + " did not complete in time"
                              : std::to_string(engine_->tc().transactions()) + " transaction(s) still running") +
             ")",
         0);
  });
  // Room for running transactions to end (TransactionDeadlockDetectionTimeout
  // bounds a stuck one) and for a few global checkpoints.
  shutdown_timer_->start(5.0 + 3.0 * own_->time_between_global_checkpoints / 1000.0);
  drain_tick();
}

void DataNode::note_going_on() {
  // Nodes that do not stop with this one go on past its files (a node
  // that stopped earlier is no member any more).
  std::set<uint32_t> going_on;
  for (uint32_t id : members_)
    if (id != self_ && !stopping_peers_.count(id)) going_on.insert(id);
  std::string error;
  if (!dur_ || going_on.empty() || phase_ != Phase::kStarted) return;
  if (dur_->save_leaving(going_on, error))
    logger_.info("node " + std::to_string(self_) + ": files end at GCI " + std::to_string(dur_->last_saved_gci()) +
                 "; noted that node(s) " + join(going_on) + " go on: a restart of this node alone waits for them");
  else
    logger_.warn("node " + std::to_string(self_) + ": cannot note the nodes going on: " + error);
}

void DataNode::drain_tick() {
  if (!draining_ || stop_after_gci_ || phase_ != Phase::kStarted) return;
  if (engine_->tc().transactions() != 0) return;
  // Nothing runs here and nothing new starts: every commit this node
  // answered took a GCI at or below the current one.
  // One GCI more than needed: a commit another stopping node answered in
  // a later GCI is then covered too, even when its word comes late.
  drained_gci_ = std::max(drained_gci_, gci_);
  stop_after_gci_ = std::max(drained_gci_, gci_ + 1);
  logger_.info(stop_why_ + ": no transaction runs here; waiting for GCI " + std::to_string(*stop_after_gci_) +
               " to complete first");
  for (uint32_t id : members_)
    if (id != self_ && linked(id)) gcp_send(id, wire::kGcpUrgent, gci_, 0, 1);
  if (uint32_t master = gcp_master()) gcp_send(master, wire::kGcpUrgent, gci_);
}

void DataNode::drained_by(uint32_t node, uint64_t gci) {
  stopping_peers_.insert(node);
  if (gci <= drained_gci_) return;
  drained_gci_ = gci;
  if (stop_after_gci_ && *stop_after_gci_ < gci) {
    logger_.info("node " + std::to_string(node) + " stops too and went idle in GCI " + std::to_string(gci) +
                 ": waiting for that one");
    stop_after_gci_ = gci;
  }
}

// ---- CommitDurability=gcp ---------------------------------------------------------

bool DataNode::hold_reply(uint32_t to, engine::Message& m) {
  auto* conf = std::get_if<engine::ApiExecuteConf>(&m);
  if (!conf || conf->state != engine::TransState::kCommitted) return false;
  // The transaction took a GCI at or below the current one: answering once
  // the current one is complete is never too early.
  held_replies_.push_back(HeldReply{gci_, to, std::move(m)});
  if (!urgent_sent_) {
    // Group commit: ask for the next global checkpoint now rather than at
    // the next TimeBetweenGlobalCheckpoints.
    if (uint32_t master = gcp_master()) gcp_send(master, wire::kGcpUrgent, gci_);
    urgent_sent_ = true;
  }
  return true;
}

void DataNode::release_replies() {
  const uint64_t complete = dur_ ? dur_->last_complete_gci() : 0;
  while (!held_replies_.empty() && held_replies_.front().gci <= complete) {
    HeldReply h = std::move(held_replies_.front());
    held_replies_.pop_front();
    queue_frame(h.to, wire::engine_message_type(h.m), wire::encode_engine_message(h.m));
  }
  urgent_sent_ = false;
  if (!held_replies_.empty()) {
    if (uint32_t master = gcp_master()) gcp_send(master, wire::kGcpUrgent, gci_);
    urgent_sent_ = true;
  }
}

// ---- system restart ------------------------------------------------------------

bool DataNode::partial_start_due() {
  const uint32_t timeout = own_->start_partial_timeout;
  if (!dur_ || !fs_state_.has_files || timeout == 0 || now_ms() - connecting_since_ms_ < timeout) return false;
  std::set<uint32_t> present{self_};
  for (auto& [id, p] : peers_)
    if (p.is_data && p.hello && p.state == wire::NodeStartState::kNotStarted) present.insert(id);
  // Alone, this node knows only its own files: when they name nodes that
  // went on after them (it stopped while they ran), those may hold newer
  // commits; never start without them. With others here, the exchange of
  // everyone's files decides, the same way on every node (sr_decide).
  std::set<uint32_t> newer;
  std::string why;
  for (auto& [id, g] : fs_state_.node_gcis)
    if (present.size() == 1 && id != self_ && g > fs_state_.restorable_gci) {
      newer.insert(id);
      why += (why.empty() ? "" : "; ") + std::string("node ") + std::to_string(id) + " was still running after GCI " +
             std::to_string(fs_state_.restorable_gci) + ", where this node's files end";
    }
  if (!newer.empty()) {
    sr_wait(newer, why);
    return false;
  }
  // The exchange found newer files elsewhere: no new attempt until more
  // nodes are here.
  if (!sr_wait_for_.empty()) {
    if (std::includes(sr_wait_present_.begin(), sr_wait_present_.end(), present.begin(), present.end()))
      return false;
    sr_wait_for_.clear();
  }
  for (auto& g : groups_) {
    bool covered = false;
    for (uint32_t n : g.members) covered = covered || present.count(n);
    if (!covered) {
      logger_.limited("partial-" + std::to_string(g.id), log::Level::info,
                      "node " + std::to_string(self_) + ": StartPartialTimeout passed, but no node of node group " +
                          std::to_string(g.id) + " is here; waiting");
      return false;
    }
  }
  std::string missing;
  std::set<uint32_t> all;
  for (uint32_t id : config_.data_node_ids()) {
    all.insert(id);
    if (!present.count(id)) missing += (missing.empty() ? "" : ",") + std::to_string(id);
  }
  // NDB's start check: the nodes here must be a side that would win
  // arbitration against the missing ones. Fewer than half never start
  // alone; exactly half with no node group whole may be one half of a
  // partitioned cluster.
  switch (mgmd::check_arbitration(all, present, groups_)) {
    case mgmd::ArbitCheck::kLoseLessThanHalf:
    case mgmd::ArbitCheck::kLoseMissingGroup:
      logger_.limited("partial-half", log::Level::info,
                      "node " + std::to_string(self_) + ": StartPartialTimeout passed, but nodes " + join(present) +
                          " are fewer than half the data nodes and no node group is whole: waiting for " + missing);
      return false;
    case mgmd::ArbitCheck::kAskArbitrator:
      if (!partitioned_start_allowed(present, missing)) return false;
      break;
    case mgmd::ArbitCheck::kWinGroupMajority:
    case mgmd::ArbitCheck::kWinMoreThanHalf:
      break;
  }
  sr_participants_ = present;
  // Said once the files of the nodes here are known to allow it (sr_decide).
  partial_event_ = "Partial system restart after StartPartialTimeout (" + std::to_string(timeout) +
                   " ms) without node(s) " + missing + "; they join later by node restart";
  return true;
}

bool DataNode::partitioned_start_allowed(const std::set<uint32_t>& present, const std::string& missing) {
  if (partitioned_ == PartitionedStart::kGranted) return true;
  if (partitioned_ != PartitionedStart::kNone) return false;  // asking, or refused: wait for the others
  const uint32_t timeout = own_->start_partitioned_timeout;
  const bool due = timeout != 0 && now_ms() - connecting_since_ms_ >= timeout;
  if (!due) {
    if (!partitioned_waiting_told_)
      event(mgmapi::Category::kStartup, 1, mgmapi::Severity::kInfo,
            "Possibly partitioned start: nodes " + join(present) + " are half of the data nodes and no node group is "
            "whole (node(s) " + missing + " may be running elsewhere); " +
                (timeout ? "waiting StartPartitionedTimeout (" + std::to_string(timeout) +
                               " ms) for them, then asking the arbitrator"
                         : std::string("StartPartitionedTimeout=0: waiting for them for ever")));
    partitioned_waiting_told_ = true;
    return false;
  }
  const uint32_t president = *present.begin();
  if (president != self_) return false;  // it asks, and tells the others (ARBIT_RESULT)
  if (!arbitrator_configured()) {
    partitioned_answer(false, "Network partitioning - no arbitrator configured");
    return false;
  }
  // Every half of this cluster asks under the same ticket, so the
  // arbitrator's first-asker rule lets exactly one of them start.
  uint32_t ticket = 0x5174a27u;
  for (uint32_t id : config_.data_node_ids()) ticket = ticket * 31 + id;
  partitioned_ = PartitionedStart::kAsking;
  event(mgmapi::Category::kStartup, 1, mgmapi::Severity::kInfo,
        "StartPartitionedTimeout (" + std::to_string(timeout) + " ms) passed without node(s) " + missing +
            ": Network partitioning - arbitration required for a partitioned start (ticket " + std::to_string(ticket) +
            ")");
  mgm_->arbitrate(ticket, [this](bool granted, const std::string& result) {
    partitioned_answer(granted, granted ? "Arbitration won - positive reply (" + result + ")"
                                : mgm_->up_count() ? "Arbitration lost - negative reply (" + result + ")"
                                                   : "Network partitioning - no arbitrator available");
  });
  return false;
}

void DataNode::partitioned_answer(bool granted, const std::string& why) {
  if (phase_ != Phase::kConnecting || partitioned_ == PartitionedStart::kGranted) return;
  partitioned_ = granted ? PartitionedStart::kGranted : PartitionedStart::kRefused;
  event(mgmapi::Category::kStartup, 1, granted ? mgmapi::Severity::kInfo : mgmapi::Severity::kWarning,
        "Partitioned start " + std::string(granted ? "allowed" : "refused") + ": " + why +
            (granted ? "" : "; waiting for the missing nodes (they may be started: then this node joins them)"));
  // The president tells the other present nodes.
  for (auto& [id, p] : peers_)
    if (p.is_data && p.hello && p.state == wire::NodeStartState::kNotStarted && self_ < id)
      send_control(id, wire::kArbitResult, ControlMsg{granted ? 1u : 0u, 0, why, ""});
  advance();
}

void DataNode::sr_wait(const std::set<uint32_t>& wait_for, const std::string& why) {
  const bool told = sr_wait_told_ && wait_for == sr_wait_for_;
  sr_wait_for_ = wait_for;
  sr_wait_told_ = true;
  if (!told)
    event(mgmapi::Category::kStartup, 1, mgmapi::Severity::kWarning,
          "System restart waits for node(s) " + join(wait_for) + ": " + why +
              "; they may hold commits the files here lack (start them; a restart without them would lose those)");
  partial_event_.clear();
  if (phase_ != Phase::kStarting) return;
  // Everyone here saw the same files and decides the same: all go back
  // to waiting; the restart begins again once those nodes are linked.
  sr_decided_ = sr_sent_ = false;
  sr_gcis_.clear();
  sr_sets_.clear();
  sr_nodes_.clear();
  phase_ = Phase::kConnecting;
  phase_timer_.stop();
  report(mgmapi::NodeStatus::kStarting, 1);
}

void DataNode::sr_exchange() {
  if (sr_sent_) return;
  sr_sent_ = true;
  const bool files = dur_ && fs_state_.has_files;
  sr_gcis_[self_] = {files, files ? fs_state_.restorable_gci : 0};
  for (uint32_t id : sr_participants_)
    if (id != self_)
      send_control(id, wire::kSrGci,
                   ControlMsg{files ? 1u : 0u, 0, std::to_string(sr_gcis_[self_].second),
                              std::to_string(fs_state_.highest_gci) + "|" + join(sr_participants_) + "|" +
                                  encode_node_gcis(files ? fs_state_.node_gcis : std::map<uint32_t, uint64_t>{})});
  sr_decide();
}

void DataNode::sr_decide() {
  if (sr_decided_ || !sr_sent_ || phase_ != Phase::kStarting) return;
  // Nodes that made up their minds at different moments (a node linked
  // just as a partial start began) may start with different sets: all
  // start with the nodes every one of them counts; a node left out joins
  // by node restart once they are started.
  std::set<uint32_t> common = sr_participants_;
  for (auto& [id, set] : sr_sets_) {
    if (!sr_participants_.count(id)) continue;
    std::set<uint32_t> both;
    for (uint32_t n : common)
      if (set.count(n)) both.insert(n);
    common = std::move(both);
  }
  if (common.count(self_) && common != sr_participants_) {
    logger_.info("node " + std::to_string(self_) + ": starting with nodes " + join(common) + " (as the others do), not " +
                 join(sr_participants_));
    sr_participants_ = common;
  }
  for (uint32_t id : sr_participants_)
    if (!sr_gcis_.count(id)) return;
  sr_decided_ = true;
  std::map<uint32_t, RestartFiles> here;
  for (uint32_t id : sr_participants_) {
    RestartFiles& f = here[id];
    f.has_files = sr_gcis_[id].first;
    f.restorable_gci = sr_gcis_[id].second;
    if (f.has_files) f.node_gcis = id == self_ ? fs_state_.node_gcis : sr_nodes_[id];
  }
  const RestartChoice choice = choose_restart(here, config_.data_node_ids(), groups_);
  const uint64_t restart_gci = choice.gci;
  switch (choice.kind) {
    case RestartChoice::Kind::kInitial:
      start_kind_ = "initial start";
      return;  // every node is new: an initial start, phases go on
    case RestartChoice::Kind::kNoGroupFiles:
      stop("system restart impossible: no node of node group " + std::to_string(*choice.group) +
               " has files from the last run (start them all with --initial to begin empty)",
           1);
      return;
    case RestartChoice::Kind::kWait:
      sr_wait_present_ = sr_participants_;
      sr_wait(choice.wait_for, choice.why);
      return;
    case RestartChoice::Kind::kSystemRestart:
      break;
  }
  if (!partial_event_.empty()) event(mgmapi::Category::kStartup, 1, mgmapi::Severity::kInfo, partial_event_);
  partial_event_.clear();
  // Nodes without files, and nodes whose files end before the restart
  // GCI, join by node restart once the sources are started.
  if (!choice.sources.count(self_)) {
    if (choice.followers.count(self_))
      event(mgmapi::Category::kStartup, 1, mgmapi::Severity::kInfo,
            "System restart to GCI " + std::to_string(restart_gci) + " by node(s) " + join(choice.sources) +
                ": this node's files end at GCI " + std::to_string(fs_state_.restorable_gci) +
                "; it waits for them to start, restores its own files and catches up by node restart");
    else
      logger_.info("node " + std::to_string(self_) + ": no files, while nodes " + join(choice.sources) +
                   " have them: waiting for them to start, then joining by initial node restart");
    phase_ = Phase::kConnecting;
    phase_timer_.stop();
    report(mgmapi::NodeStatus::kStarting, 1);
    return;
  }
  for (uint32_t id : config_.data_node_ids())
    if (!choice.sources.count(id)) {
      engine_->node_failed(id);
      members_.erase(id);
    }
  dur_->set_node_gcis(choice.node_gcis);
  start_kind_ = "system restart";
  std::string summary, error;
  if (own_restore_done_ && catchup_gci_ == restart_gci) {
    summary = "own files restored before, for a node restart";
  } else if (own_restore_done_) {
    // The started nodes went down while this node read its files for a
    // node restart: they hold another GCI now. A fresh process starts clean.
    stop("system restart to GCI " + std::to_string(restart_gci) + " while this node's files were restored to GCI " +
             std::to_string(catchup_gci_) + " for a node restart that could not happen; start this node again",
         1);
    return;
  } else if (!dur_->restore(*engine_, restart_gci, summary, error)) {
    stop("system restart to GCI " + std::to_string(restart_gci) + " impossible on this node: " + error +
             " (restart this node with --initial once the others are started: it then copies everything from them)",
         1);
    return;
  }
  // GCIs go on above every one any node's files name, so a GCI number is
  // never used twice (the restart mark voids the ones given up).
  gci_ = std::max({restart_gci, sr_highest_gci_, fs_state_.highest_gci}) + 1;
  engine_->set_gci(gci_);
  event(mgmapi::Category::kStartup, 1, mgmapi::Severity::kInfo,
        "System restart to GCI " + std::to_string(restart_gci) + " (" + choice.reason + "): " + summary);
}

}  // namespace halb::cluster::ndbd
