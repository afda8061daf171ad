// cluster/config/config_ini.cc: config.ini reader (see config_ini.h).
//
// The shape follows InitConfigFileParser: lines are read one by one; a
// section is "stored" when the next header (or the end of the file) is
// reached, and storing applies the DEFAULT values seen so far, assigns the
// node id, resolves the host and runs the per-section checks. Whole-file
// checks run after the last section. Only then are the typed structs filled
// from the table's setters (cluster/config/parameters.h).
#include "cluster/config/config_ini.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "cluster/config/parameters.h"
#include "cluster/placement/node_groups.h"

namespace halb::cluster {
namespace {

using config::ConfigError;
using config::iequals;
using config::lower;
using config::trim;
using namespace config_table;

std::string str(uint64_t v) { return std::to_string(v); }

struct RawSection {
  const SectionInfo* info = nullptr;
  bool is_default = false;
  int line = 0;
  std::vector<std::pair<const Param*, Value>> values;

  const Value* get(const Param* p) const {
    for (const auto& [q, v] : values)
      if (q == p) return &v;
    return nullptr;
  }
  const Value* get(std::string_view name) const { return get(find_param(info->kind, name)); }
  bool has(const Param* p) const { return get(p) != nullptr; }
  void put(const Param* p, Value v) { values.emplace_back(p, std::move(v)); }
  std::string name() const { return std::string(info->canonical); }
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  LoadedConfig run(std::string_view text) {
    int number = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view raw = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++number;
      read_line(trim(raw), number);
    }
    store_section();
    check_whole_file(std::max(number, 1));
    return LoadedConfig{bind(), std::move(warnings_)};
  }

 private:
  [[noreturn]] void fail(int line, const std::string& message) const { throw ConfigError(file_, line, message); }
  void warn(int line, const std::string& message) {
    warnings_.push_back(file_ + ":" + std::to_string(line) + ": " + message);
  }

  void read_line(const std::string& line, int number) {
    if (line.empty() || line[0] == '#') return;
    if (line.front() == '[' && line.back() == ']') return header(line, number);
    name_value(line, number);
  }

  // `[NDBD]`, `[ndbd default]`, `[DB DEFAULT]`...
  void header(const std::string& line, int number) {
    auto words = config::split_words(std::string_view(line).substr(1, line.size() - 2));
    bool is_default = words.size() == 2 && iequals(words[1], "DEFAULT");
    if (words.empty() || words.size() > 2 || (words.size() == 2 && !is_default))
      fail(number, "Parse error: bad section header " + line);
    const SectionInfo* info = find_section(words[0]);
    if (!info) fail(number, "Parse error: unknown section " + line);
    if (is_default && !info->has_default_form) fail(number, "Parse error: [" + words[0] + "] has no DEFAULT section");
    store_section();
    current_ = RawSection{info, is_default, number, {}};
  }

  void name_value(const std::string& line, int number) {
    if (!current_) fail(number, "Value specified outside section");
    size_t sep = line.find_first_of("=:");
    if (sep == std::string::npos) fail(number, "Parse error");
    std::string name = trim(std::string_view(line).substr(0, sep));
    std::string_view rest = std::string_view(line).substr(sep + 1);
    // Everything after '#' is a comment, also behind a value.
    if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
    std::string value = trim(rest);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);

    const std::string section = current_->name();
    const Param* p = find_param(current_->info->kind, name);
    if (!p) fail(number, "[" + section + "] Unknown parameter: " + name);
    // NodeId and its deprecated spelling Id are one parameter, so giving both is this error too.
    if (current_->has(p)) fail(number, "[" + section + "] Parameter " + name + " specified twice");
    auto v = convert(*p, value);
    if (!v) {
      const char* what = p->type == ParamType::kBool ? "boolean" : "integer";
      fail(number, std::string("Illegal ") + what + " value for parameter " + name);
    }
    if ((p->type == ParamType::kInt || p->type == ParamType::kInt64) && (v->number < p->min || v->number > p->max))
      fail(number, "Illegal value " + value + " for parameter " + name + ". Legal values are between " + str(p->min) +
                       " and " + str(p->max));
    v->line = number;
    current_->put(p, std::move(*v));
  }

  void store_section() {
    if (!current_) return;
    RawSection s = std::move(*current_);
    current_.reset();
    if (s.is_default) {
      // A later DEFAULT section of the same type adds to (and overrides) the earlier one.
      auto& d = defaults_[s.info->kind];
      for (auto& [p, v] : s.values) {
        std::erase_if(d, [p = p](const auto& pv) { return pv.first == p; });
        d.emplace_back(p, v);
      }
      return;
    }
    for (const auto& [p, v] : defaults_[s.info->kind])
      if (!s.has(p)) s.put(p, v);
    if (s.info->is_node) {
      assign_node_id(s);
      resolve_host(s);
    }
    for (const auto& p : all_params()) {
      if (p.kind != s.info->kind || s.has(&p)) continue;
      if (p.mandatory)
        fail(s.line, "Mandatory parameter " + std::string(p.name) + " missing from section [" + s.name() +
                         "] starting at line: " + std::to_string(s.line));
      if (p.default_text) s.put(&p, *convert(p, p.default_text));
    }
    switch (s.info->kind) {
      case SectionKind::kDb: check_data_node(s); break;
      case SectionKind::kTcp:
      case SectionKind::kShm:
      case SectionKind::kSci: check_link(s); break;
      case SectionKind::kComputer: add_computer(s); break;
      case SectionKind::kSystem:
        if (seen_system_) fail(s.line, "[SYSTEM] defined twice");
        seen_system_ = true;
        break;
      default: break;
    }
    if (s.info->is_node) check_localhost_mix(s);
    sections_.push_back(std::move(s));
  }

  // transformNode: an explicit id must be unused; a missing one is the next
  // number after the previous node's id, skipping ids earlier sections took.
  void assign_node_id(RawSection& s) {
    const Param* p = find_param(s.info->kind, "NodeId");
    uint32_t id;
    if (const Value* v = s.get(p)) {
      id = static_cast<uint32_t>(v->number);
      if (auto it = allocated_.find(id); it != allocated_.end())
        fail(s.line, "Duplicate nodeid in section [" + s.name() + "] starting at line: " + std::to_string(s.line) +
                         ". Previously used on line " + std::to_string(it->second) + ".");
    } else {
      id = next_node_id_;
      while (allocated_.count(id)) ++id;
      if (id > kMaxNodeId)
        fail(s.line, "No free node id for section [" + s.name() + "] starting at line: " + std::to_string(s.line));
      if (id != next_node_id_)
        warn(s.line, "Cluster configuration warning line " + std::to_string(s.line) + ": Could not use next node id " +
                         std::to_string(next_node_id_) + " for section [" + s.name() + "], using next unused node id " +
                         std::to_string(id) + ".");
      Value assigned;
      assigned.number = id;
      assigned.line = s.line;
      s.put(p, assigned);
    }
    allocated_[id] = s.line;
    next_node_id_ = id + 1;
  }

  // fixNodeHostname: an explicit HostName wins; else ExecuteOnComputer names
  // a COMPUTER declared earlier in the file, whose HostName is taken.
  void resolve_host(RawSection& s) {
    if (s.get("HostName")) return;
    const Value* comp = s.get("ExecuteOnComputer");
    if (!comp) return;  // the built-in default (DB: localhost, else any host) applies
    auto it = computers_.find(lower(comp->text));
    if (it == computers_.end())
      fail(s.line, "Computer \"" + comp->text + "\" not declared - [" + s.name() + "] starting at line: " +
                       std::to_string(s.line));
    Value v;
    v.text = it->second;
    v.line = comp->line;
    s.put(find_param(s.info->kind, "HostName"), v);
  }

  void add_computer(const RawSection& s) {
    const std::string id = s.get("Id")->text;
    if (!computers_.emplace(lower(id), s.get("HostName")->text).second)
      fail(s.line, "Computer Id " + id + " defined twice - [COMPUTER] starting at line: " + std::to_string(s.line));
  }

  // checkLocalhostHostnameMix: localhost/127.0.0.1 and real names cannot
  // both be used (a data node left without HostName counts as localhost).
  void check_localhost_mix(const RawSection& s) {
    const std::string& host = s.get("HostName")->text;
    if (host.empty()) return;
    bool local = host == "localhost" || host == "127.0.0.1";
    if (local) localhost_used_ = true;
    else other_host_ = host;
    if (localhost_used_ && !other_host_.empty())
      fail(s.line, "Mixing of localhost (default for [NDBD]HostName) with other hostname(" + other_host_ +
                       ") is illegal");
  }

  void check_data_node(const RawSection& s) {
    const Value* r = s.get("NoOfReplicas");
    if (!replicas_) replicas_ = *r;
    else if (r->number != replicas_->number)
      fail(r->line ? r->line : s.line, "NoOfReplicas " + str(r->number) + " in section [DB] starting at line: " +
                                           std::to_string(s.line) + " differs from " + str(replicas_->number) +
                                           " given earlier; it must be the same on all data nodes");
    if (s.get("MaxNoOfConcurrentTransactions")->number > s.get("MaxNoOfConcurrentOperations")->number)
      fail(s.line, "MaxNoOfConcurrentOperations must be greater than MaxNoOfConcurrentTransactions - [DB] starting at "
                   "line: " + std::to_string(s.line));
    if (const Value* d = s.get("CommitDurability"); d && d->text != "memory" && d->text != "gcp")
      fail(d->line ? d->line : s.line, "CommitDurability must be memory or gcp, not '" + d->text + "'");
  }

  // Links name nodes defined above them (hence "put [TCP] sections last");
  // API-API links do not exist.
  void check_link(const RawSection& s) {
    uint32_t ids[2] = {static_cast<uint32_t>(s.get("NodeId1")->number),
                       static_cast<uint32_t>(s.get("NodeId2")->number)};
    const SectionInfo* types[2] = {nullptr, nullptr};
    for (int i = 0; i < 2; ++i) {
      for (const auto& n : sections_)
        if (n.info->is_node && n.get("NodeId")->number == ids[i]) types[i] = n.info;
      if (!types[i])
        fail(s.line, "Connection refering undefined node: " + std::to_string(ids[i]) + " - [" + s.name() +
                         "] starting at line: " + std::to_string(s.line));
    }
    if (ids[0] == ids[1] || (types[0]->kind == SectionKind::kApi && types[1]->kind == SectionKind::kApi))
      fail(s.line, "Invalid connection between node " + std::to_string(ids[0]) + " (" + std::string(types[0]->canonical) +
                       ") and node " + std::to_string(ids[1]) + " (" + std::string(types[1]->canonical) + ") - [" +
                       s.name() + "] starting at line: " + std::to_string(s.line));
  }

  void check_whole_file(int last_line) {
    auto count = [this](SectionKind k) {
      return std::count_if(sections_.begin(), sections_.end(), [k](const auto& s) { return s.info->kind == k; });
    };
    if (!count(SectionKind::kDb)) fail(last_line, "At least one database node should be defined in config file");
    if (!count(SectionKind::kMgm))
      fail(last_line, "At least one management server node should be defined in config file");
    if (!count(SectionKind::kApi))
      fail(last_line, "At least one application node (for the mysqld) should be defined in config file");
    if (count(SectionKind::kDb) % replicas_->number != 0)
      fail(replicas_->line ? replicas_->line : last_line,
           "Invalid no of db nodes wrt no of replicas. No of nodes must be dividable with no or replicas");
    // Ours: two management servers cannot listen on one host and port.
    std::map<std::pair<std::string, uint64_t>, int> listeners;
    for (const auto& s : sections_) {
      if (s.info->kind != SectionKind::kMgm) continue;
      const std::string host = lower(s.get("HostName")->text);
      if (host.empty()) continue;
      auto [it, fresh] = listeners.emplace(std::pair{host, s.get("PortNumber")->number}, s.line);
      if (!fresh)
        fail(s.line, "Management server in section [MGM] starting at line: " + std::to_string(s.line) +
                         " uses the host and port of the one starting at line: " + std::to_string(it->second));
    }
    warn_about_hosts();
  }

  // check_node_vs_replicas' warnings: a host that carries two replicas of a
  // group, or an arbitrator and a data node, takes the cluster down with it.
  void warn_about_hosts() {
    const uint32_t replicas = static_cast<uint32_t>(replicas_->number);
    if (replicas < 2) return;  // NDB checks hosts only when a group has several members
    struct Data {
      std::string host;
      int line = 0;
    };
    std::map<uint32_t, Data> data;  // by node id
    for (const auto& s : sections_)
      if (s.info->kind == SectionKind::kDb)
        data[static_cast<uint32_t>(s.get("NodeId")->number)] = {lower(s.get("HostName")->text), s.line};
    std::vector<uint32_t> ids;
    for (const auto& [id, d] : data) ids.push_back(id);
    for (const auto& g : make_node_groups(ids, replicas))
      for (size_t i = 0; i < g.members.size(); ++i)
        for (size_t j = i + 1; j < g.members.size(); ++j) {
          const Data& a = data[g.members[i]];
          const Data& b = data[g.members[j]];
          if (a.host == b.host)
            warn(b.line, "Cluster configuration warning: db node with id " + std::to_string(g.members[i]) +
                             " and id " + std::to_string(g.members[j]) + " on same host " + a.host +
                             "; host failure will cause complete cluster shutdown.");
        }
    for (const auto& s : sections_) {
      if (s.info->kind != SectionKind::kMgm && s.info->kind != SectionKind::kApi) continue;
      if (s.get("ArbitrationRank")->number == 0) continue;
      const std::string host = lower(s.get("HostName")->text);
      for (const auto& [id, d] : data)
        if (!host.empty() && host == d.host)
          warn(s.line, "Cluster configuration warning: arbitrator with id " + str(s.get("NodeId")->number) +
                           " and db node with id " + std::to_string(id) + " on same host " + host +
                           "; host failure may cause complete cluster shutdown.");
    }
  }

  template <class T> static T fill(const RawSection& s) {
    T out{};
    for (const auto& [p, v] : s.values) p->set(&out, v);
    out.line = s.line;
    return out;
  }

  ClusterConfig bind() const {
    ClusterConfig c;
    c.file = file_;
    for (const auto& s : sections_) {
      switch (s.info->kind) {
        case SectionKind::kDb: {
          auto n = fill<DataNode>(s);
          if (n.file_system_path.empty()) n.file_system_path = n.data_dir;
          if (n.backup_data_dir.empty()) n.backup_data_dir = n.file_system_path;
          c.data_nodes.push_back(std::move(n));
          break;
        }
        case SectionKind::kApi: c.api_nodes.push_back(fill<ApiNode>(s)); break;
        case SectionKind::kMgm: {
          auto n = fill<MgmNode>(s);
          if (n.log_destination.empty())
            n.log_destination =
                "FILE:filename=ndb_" + std::to_string(n.node_id) + "_cluster.log,maxsize=1000000,maxfiles=6";
          c.mgm_nodes.push_back(std::move(n));
          break;
        }
        case SectionKind::kTcp: c.tcp_links.push_back(fill<TcpLink>(s)); break;
        case SectionKind::kShm: c.shm_links.push_back(fill<ShmLink>(s)); break;
        case SectionKind::kSci: c.sci_links.push_back(fill<SciLink>(s)); break;
        case SectionKind::kComputer: c.computers.push_back(fill<Computer>(s)); break;
        case SectionKind::kSystem: c.system = fill<SystemSection>(s); break;
      }
    }
    c.tcp_default = tcp_default();
    return c;
  }

  // NDB adds a link for every pair of nodes that needs one after the file
  // is read; those links take the [TCP DEFAULT] values in force at its end.
  TcpLink tcp_default() const {
    RawSection s;
    if (auto it = defaults_.find(SectionKind::kTcp); it != defaults_.end()) s.values = it->second;
    for (const auto& p : all_params())
      if (p.kind == SectionKind::kTcp && !p.mandatory && p.default_text && !s.has(&p))
        if (auto v = convert(p, p.default_text)) s.put(&p, *v);
    return fill<TcpLink>(s);
  }

  std::string file_;
  std::optional<RawSection> current_;
  std::map<SectionKind, std::vector<std::pair<const Param*, Value>>> defaults_;
  std::vector<RawSection> sections_;
  std::map<uint32_t, int> allocated_;  // node id -> line of the section holding it
  uint32_t next_node_id_ = 1;
  std::map<std::string, std::string> computers_;  // lower-case Id -> HostName
  bool localhost_used_ = false;
  std::string other_host_;
  std::optional<Value> replicas_;  // NoOfReplicas of the first data node, with its line
  bool seen_system_ = false;
  std::vector<std::string> warnings_;
};

}  // namespace

LoadedConfig parse_config_ini(std::string_view text, const std::string& file) { return Reader(file).run(text); }

LoadedConfig load_config_ini(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, "Error opening file: " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config_ini(ss.str(), path);
}

}  // namespace halb::cluster
