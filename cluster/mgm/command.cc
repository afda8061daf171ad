// cluster/mgm/command.cc: ndb_mgm's command grammar (see command.h).
#include "cluster/mgm/command.h"

#include "cluster/config/model.h"
#include "cluster/mgmapi/events.h"
#include "lib/config/reader.h"

namespace halb::cluster::mgm {

namespace {

using config::iequals;

ParseResult invalid(std::string_view text) {
  ParseResult r;
  r.error = {"Invalid command: " + std::string(text), "Type HELP for help."};
  return r;
}

ParseResult ok(Command c) {
  ParseResult r;
  r.command = std::move(c);
  return r;
}

ParseResult fail(std::vector<std::string> lines) {
  ParseResult r;
  r.error = std::move(lines);
  return r;
}

bool words_are(const std::vector<std::string>& w, size_t from, std::initializer_list<const char*> expect) {
  if (w.size() != from + expect.size()) return false;
  size_t i = from;
  for (auto e : expect)
    if (!iequals(w[i++], e)) return false;
  return true;
}

ParseResult parse_clusterlog(const std::vector<std::string>& w, std::string_view text) {
  if (w.size() < 2) return invalid(text);
  Command c;
  std::string sub = config::lower(w[1]);
  if (sub == "info" && w.size() == 2) {
    c.verb = Verb::kClusterlogInfo;
    return ok(c);
  }
  if (sub == "on") c.verb = Verb::kClusterlogOn;
  else if (sub == "off") c.verb = Verb::kClusterlogOff;
  else if (sub == "toggle" || sub == "filter") c.verb = Verb::kClusterlogToggle;
  else return invalid(text);
  for (size_t i = 2; i < w.size(); ++i) {
    std::string sev = w[i];
    for (auto& ch : sev) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
    if (sev == "ALL") {
      for (auto s : {"ALERT", "CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}) c.severities.push_back(s);
      continue;
    }
    if (!mgmapi::parse_severity(sev)) return fail({"Invalid severity level: " + w[i]});
    c.severities.push_back(sev);
  }
  if (c.verb == Verb::kClusterlogToggle && c.severities.empty()) return fail({"Missing argument(s)."});
  return ok(c);
}

ParseResult parse_node_command(const std::vector<std::string>& w, std::string_view text, bool all, uint32_t id) {
  if (w.size() < 2) {
    if (all) return fail({"Expected a command after ALL."});
    return fail({"Expected a command after node ID."});
  }
  Command c;
  c.all = all;
  c.node_id = id;
  std::string verb = config::lower(w[1]);
  auto flags = [&](bool restart) -> bool {
    for (size_t i = 2; i < w.size(); ++i) {
      std::string f = config::lower(w[i]);
      if (restart && (f == "-n" || f == "nostart")) c.nostart = true;
      else if (restart && (f == "-i" || f == "initial")) c.initial = true;
      else if (f == "-a" || f == "abort") c.abort = true;
      else return false;
    }
    return true;
  };
  if (verb == "start" && w.size() == 2) {
    c.verb = Verb::kStart;
  } else if (verb == "stop") {
    c.verb = Verb::kStop;
    if (!flags(false)) return invalid(text);
  } else if (verb == "restart") {
    c.verb = Verb::kRestart;
    if (!flags(true)) return invalid(text);
  } else if (verb == "status" && w.size() == 2) {
    c.verb = Verb::kStatus;
  } else if (verb == "report" && w.size() == 3 && (iequals(w[2], "memoryusage") || iequals(w[2], "memory"))) {
    c.verb = Verb::kReportMemoryUsage;
  } else if (verb == "clusterlog" || verb == "loglevel") {
    c.verb = Verb::kNodeClusterlog;
    if (w.size() < 3) return fail({"Missing argument(s)."});
    for (size_t i = 2; i < w.size(); ++i) {
      size_t eq = w[i].find('=');
      if (eq == std::string::npos) return fail({"Invalid loglevel specification: " + w[i]});
      std::string cat = w[i].substr(0, eq);
      auto cat_ok = mgmapi::parse_category(cat);
      if (!cat_ok) return fail({"Unknown category: \"" + cat + "\""});
      auto lvl = config::parse_int(w[i].substr(eq + 1));
      if (!lvl || *lvl < 0 || *lvl > mgmapi::kMaxLevel)
        return fail({"Invalid loglevel specification: " + w[i] + " (levels are 0 to 15)"});
      c.levels.emplace_back(std::string(mgmapi::category_name(*cat_ok)), static_cast<int>(*lvl));
    }
  } else if (verb == "dump") {
    c.verb = Verb::kDump;
    if (w.size() < 3) return fail({"Expected argument"});
    for (size_t i = 2; i < w.size(); ++i) {
      auto n = config::parse_int(w[i]);
      if (!n || *n < 0 || *n > 0xffffffffLL) return fail({"Illegal value in argument to signal.", "(Value must be between 0 and 0xffffffff.)"});
      c.dump_args.push_back(static_cast<uint32_t>(*n));
    }
  } else {
    return invalid(text);
  }
  return ok(c);
}

}  // namespace

ParseResult parse_command(std::string_view line) {
  std::string text = config::trim(line);
  while (!text.empty() && text.back() == ';') text = config::trim(text.substr(0, text.size() - 1));
  if (text.empty() || text.front() == '#') return ok(Command{});
  auto w = config::split_words(text, " \t");
  std::string first = config::lower(w[0]);
  Command c;
  if (first == "help" || first == "?") {
    c.verb = Verb::kHelp;
    if (w.size() > 1) c.argument = config::lower(w[1]);
    return ok(c);
  }
  if ((first == "show" || first == "list") && w.size() == 1) {
    c.verb = Verb::kShow;
    return ok(c);
  }
  if ((first == "quit" || first == "exit" || first == "bye") && w.size() == 1) {
    c.verb = Verb::kQuit;
    return ok(c);
  }
  if (first == "shutdown" && w.size() == 1) {
    c.verb = Verb::kShutdown;
    return ok(c);
  }
  if (first == "clusterlog") return parse_clusterlog(w, text);
  if (first == "enter") {
    if (w.size() == 5 && iequals(w[1], "single") && iequals(w[2], "user") && iequals(w[3], "mode")) {
      auto id = config::parse_int(w[4]);
      if (!id || *id < 1 || *id > static_cast<long long>(kMaxNodeId)) return fail({"Invalid node ID: " + w[4] + "."});
      c.verb = Verb::kEnterSingleUser;
      c.node_id = static_cast<uint32_t>(*id);
      return ok(c);
    }
    if (words_are(w, 1, {"single", "user", "mode"})) return fail({"Missing argument(s)."});
    return invalid(text);
  }
  if (first == "exit" && words_are(w, 1, {"single", "user", "mode"})) {
    c.verb = Verb::kExitSingleUser;
    return ok(c);
  }
  if (first == "start" && w.size() >= 2 && iequals(w[1], "backup")) {
    c.verb = Verb::kStartBackup;
    size_t i = 2;
    if (i < w.size()) {
      if (auto id = config::parse_int(w[i])) {
        if (*id < 1 || *id > 0xFFFFFFFELL) return fail({"Invalid arguments: backup id " + w[i] + " is out of range"});
        c.backup_id = static_cast<uint32_t>(*id);
        ++i;
      }
    }
    for (; i < w.size(); ++i) c.argument += (c.argument.empty() ? "" : " ") + config::lower(w[i]);
    if (c.argument.empty() || c.argument == "wait completed") c.backup_wait = 2;
    else if (c.argument == "wait started") c.backup_wait = 1;
    else if (c.argument == "nowait") c.backup_wait = 0;
    else return fail({"Invalid arguments: expected [<BackupId>] [NOWAIT | WAIT STARTED | WAIT COMPLETED]"});
    return ok(c);
  }
  if (first == "abort" && w.size() >= 2 && iequals(w[1], "backup")) {
    if (w.size() != 3 || !config::parse_int(w[2])) return fail({"Invalid arguments: expected <BackupId>"});
    c.verb = Verb::kAbortBackup;
    c.argument = w[2];
    return ok(c);
  }
  if (first == "purge" && words_are(w, 1, {"stale", "sessions"})) {
    c.verb = Verb::kPurgeStaleSessions;
    return ok(c);
  }
  if (first == "connect") {
    c.verb = Verb::kConnect;
    if (w.size() > 1) c.argument = w[1];
    return ok(c);
  }
  if (first == "all") return parse_node_command(w, text, true, 0);
  auto id = config::parse_int(w[0]);
  if (id) {
    if (*id < 1 || *id > static_cast<long long>(kMaxNodeId)) return fail({"Invalid node ID: " + w[0] + "."});
    return parse_node_command(w, text, false, static_cast<uint32_t>(*id));
  }
  return invalid(text);
}

}  // namespace halb::cluster::mgm
