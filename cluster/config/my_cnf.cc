// cluster/config/my_cnf.cc: MySQL option file reader and the cluster
// options drawn from it (see my_cnf.h).
#include "cluster/config/my_cnf.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "cluster/config/model.h"

namespace halb::cluster {
namespace {

using config::ConfigError;
using config::lower;
using config::trim;

std::string option_name(std::string_view raw) {
  std::string n = lower(trim(raw));
  std::replace(n.begin(), n.end(), '_', '-');
  return n;
}

// Cuts a `#` comment that follows a blank outside quotes, then unquotes.
std::string option_value(std::string_view raw) {
  std::string v = trim(raw);
  char quote = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || std::isspace(static_cast<unsigned char>(v[i - 1])))) {
      v = trim(std::string_view(v).substr(0, i));
      break;
    }
  }
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
  return v;
}

}  // namespace

MyCnf parse_my_cnf(std::string_view text, const std::string& file) {
  MyCnf cnf;
  cnf.file = file;
  int number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++number;
    if (line.empty() || line[0] == '#' || line[0] == ';' || line[0] == '!') continue;
    if (line[0] == '[') {
      auto close = line.find(']');
      if (close == std::string::npos) throw ConfigError(file, number, "Wrong group definition in config file: " + line);
      cnf.groups.push_back(MyCnfGroup{lower(trim(std::string_view(line).substr(1, close - 1))), {}, number});
      continue;
    }
    if (cnf.groups.empty()) throw ConfigError(file, number, "Found option without preceding group in config file");
    MyCnfOption opt;
    opt.line = number;
    auto eq = line.find('=');
    if (eq == std::string::npos) {
      opt.name = option_name(line);
    } else {
      opt.name = option_name(std::string_view(line).substr(0, eq));
      opt.value = option_value(std::string_view(line).substr(eq + 1));
    }
    if (opt.name.empty()) throw ConfigError(file, number, "Option without a name: " + line);
    cnf.groups.back().options.push_back(std::move(opt));
  }
  return cnf;
}

MyCnf load_my_cnf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, "cannot read option file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_my_cnf(ss.str(), path);
}

std::vector<std::string_view> groups_for(ClusterProgram program) {
  switch (program) {
    case ClusterProgram::kNdbd: return {"mysql_cluster", "ndbd"};
    case ClusterProgram::kNdbMgm: return {"mysql_cluster", "ndb_mgm"};
    case ClusterProgram::kNdbMgmd: return {"mysql_cluster", "ndb_mgmd"};
    case ClusterProgram::kNdbRestore: return {"mysql_cluster", "ndb_restore"};
    case ClusterProgram::kMysqld: return {"mysql_cluster", "mysqld"};
  }
  return {"mysql_cluster"};
}

ClusterOptions cluster_options(const MyCnf& cnf, ClusterProgram program) {
  ClusterOptions out;
  for (std::string_view group : groups_for(program)) {
    for (const auto& g : cnf.groups) {
      if (g.name != group) continue;
      for (const auto& o : g.options) {
        if (o.name == "ndb-connectstring" || o.name == "connect-string") {
          out.connectstring = o.value.value_or("");
          out.connectstring_line = o.line;
        } else if (o.name == "ndbcluster") {
          out.ndbcluster = !o.value || *o.value == "1" || config::iequals(*o.value, "on") ||
                           config::iequals(*o.value, "true");
        } else if (o.name == "skip-ndbcluster") {
          out.ndbcluster = false;
        } else if (o.name == "ndb-nodeid") {
          auto n = config::parse_int(o.value.value_or(""));
          if (!n || *n < 1 || *n > static_cast<long long>(kMaxNodeId))
            throw ConfigError(cnf.file, o.line, "ndb-nodeid must be a node id from 1 to 63");
          out.node_id = static_cast<uint32_t>(*n);
        } else if (o.name == "config-file") {
          out.config_file = o.value.value_or("");
        }
      }
    }
  }
  return out;
}

}  // namespace halb::cluster
