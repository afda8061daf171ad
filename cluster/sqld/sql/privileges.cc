// cluster/sqld/sql/privileges.cc: account privileges (see privileges.h).
#include "cluster/sqld/sql/privileges.h"

#include <algorithm>

#include "cluster/sqld/sql/table_def.h"

namespace halb::cluster::sqld {

namespace {

using K = Token::Kind;

const char* const kNames[priv::kCount] = {
    "SELECT",      "INSERT",      "UPDATE",         "DELETE",        "CREATE",
    "DROP",        "RELOAD",      "SHUTDOWN",       "PROCESS",       "FILE",
    "REFERENCES",  "INDEX",       "ALTER",          "SHOW DATABASES", "SUPER",
    "CREATE TEMPORARY TABLES",    "LOCK TABLES",    "EXECUTE",       "REPLICATION SLAVE",
    "REPLICATION CLIENT",         "CREATE VIEW",    "SHOW VIEW",     "CREATE ROUTINE",
    "ALTER ROUTINE", "CREATE USER", "EVENT",        "TRIGGER",       "CREATE TABLESPACE"};

uint32_t all_for(const GrantTarget& on) {
  if (on.global()) return priv::kAllGlobal;
  return on.database_level() ? priv::kAllDatabase : priv::kAllTable;
}

bool same_target(const GrantTarget& a, const GrantTarget& b) { return a.db == b.db && a.table == b.table; }

// A database-level grant's name may hold LIKE wildcards: '%' any run, '_'
// one character, a backslash makes the next one literal (`test\_db`).
bool database_matches(std::string_view pattern, std::string_view db) { return wildcard_match(pattern, db, false, true); }

}  // namespace

std::string priv::name(uint32_t bit) {
  if (bit == kGrantOption) return "GRANT OPTION";
  for (uint32_t i = 0; i < kCount; ++i)
    if (bit == (1u << i)) return kNames[i];
  return "USAGE";
}

std::string priv::list(uint32_t mask, uint32_t all) {
  mask &= ~kGrantOption;
  if (mask == 0) return "USAGE";
  if ((mask & all) == all) return "ALL PRIVILEGES";
  std::string out;
  for (uint32_t i = 0; i < kCount; ++i)
    if (mask & (1u << i)) out += (out.empty() ? "" : ", ") + std::string(kNames[i]);
  return out;
}

bool parse_privilege_list(const std::vector<Token>& t, size_t b, size_t e, uint32_t& mask, bool& all,
                          std::string& error, std::vector<ColumnGrant>* columns) {
  mask = 0;
  all = false;
  if (columns) columns->clear();
  size_t i = b;
  while (i < e) {
    if (!t[i].is_name()) {
      error = "a privilege name";
      return false;
    }
    // the longest privilege name that the next words spell
    std::string words;
    size_t best_len = 0;
    uint32_t best = 0;
    for (size_t k = i; k < e && k < i + 3 && t[k].kind == K::kWord; ++k) {
      words += (words.empty() ? "" : " ") + to_upper(t[k].text);
      for (uint32_t n = 0; n < priv::kCount; ++n)
        if (words == kNames[n]) {
          best = 1u << n;
          best_len = k - i + 1;
        }
      if (words == "GRANT OPTION") {
        best = priv::kGrantOption;
        best_len = k - i + 1;
      }
      if (words == "USAGE") {
        best = 0;
        best_len = 1;
      }
      if (words == "ALL" || words == "ALL PRIVILEGES") {
        all = true;
        best = 0;
        best_len = k - i + 1;
      }
    }
    if (best_len == 0) {
      std::string w = to_upper(t[i].text);
      // MySQL 8's dynamic privileges stand for SUPER here
      if (w.size() > 6 && w.compare(w.size() - 6, 6, "_ADMIN") == 0) {
        best = priv::kSuper;
        best_len = 1;
      } else {
        error = "unknown privilege " + t[i].text;
        return false;
      }
    }
    i += best_len;
    if (i < e && t[i].is_op("(")) {
      if (!columns) {
        error = "column privileges are not supported";
        return false;
      }
      if (!(best & kColumnPrivileges) || (best & (best - 1))) {
        error = "a privilege that cannot name columns";
        return false;
      }
      ColumnGrant g{best, {}};
      for (++i; i < e && t[i].is_name(); ++i) {
        g.columns.push_back(t[i].text);
        if (!t[i + 1].is_op(",")) {
          ++i;
          break;
        }
        ++i;
      }
      if (i >= e || !t[i].is_op(")") || g.columns.empty()) {
        error = "a column list";
        return false;
      }
      ++i;
      columns->push_back(std::move(g));
    } else {
      mask |= best;
    }
    if (i < e) {
      if (!t[i].is_op(",")) {
        error = "',' between privileges";
        return false;
      }
      ++i;
    }
  }
  return true;
}

bool parse_grant_target(const std::vector<Token>& t, size_t b, size_t e, const std::string& current_db,
                        GrantTarget& out) {
  // optional object type: ON TABLE db.t
  if (b < e && t[b].is_word("TABLE")) ++b;
  auto part = [&](size_t k, std::string& into) {
    if (t[k].is_op("*")) into = "*";
    else if (t[k].is_name()) into = t[k].text;
    else return false;
    return true;
  };
  if (e - b == 1) {
    std::string one;
    if (!part(b, one)) return false;
    if (one == "*") {
      if (current_db.empty()) return false;
      out = GrantTarget{current_db, "*"};
    } else {
      if (current_db.empty()) return false;
      out = GrantTarget{current_db, one};
    }
    return true;
  }
  if (e - b != 3 || !t[b + 1].is_op(".")) return false;
  std::string db, table;
  if (!part(b, db) || !part(b + 2, table)) return false;
  if (db == "*" && table != "*") return false;
  out = GrantTarget{db, table};
  return true;
}

Privileges Privileges::from_grants(const std::vector<std::string>& lines) {
  Privileges p;
  for (const auto& line : lines) {
    TokenizeResult tr = tokenize(line);
    const auto& t = tr.tokens;
    if (!tr.error.empty() || t.empty() || !t[0].is_word("GRANT")) continue;
    size_t on = 0, to = 0;
    for (size_t k = 1; k < t.size(); ++k) {
      if (!on && t[k].is_word("ON")) on = k;
      if (on && !to && t[k].is_word("TO")) to = k;
    }
    if (!on || !to) continue;
    uint32_t mask = 0;
    bool all = false;
    std::string error;
    GrantTarget target;
    std::vector<ColumnGrant> columns;
    if (!parse_privilege_list(t, 1, on, mask, all, error, &columns) || !parse_grant_target(t, on + 1, to, "", target))
      continue;
    if (all) mask |= all_for(target);
    for (size_t k = to; k + 2 < t.size(); ++k)
      if (t[k].is_word("WITH") && t[k + 1].is_word("GRANT") && t[k + 2].is_word("OPTION")) mask |= priv::kGrantOption;
    p.grant(target, mask);
    if (!columns.empty() && !target.global() && !target.database_level()) p.grant_columns(target, columns);
  }
  return p;
}

std::vector<std::string> Privileges::grant_lines(const std::string& user, const std::string& host) const {
  const std::string who = " TO " + quote_ident(user) + "@" + quote_ident(host);
  auto line = [&](const Entry& e) {
    std::string what = e.on.global() ? "*.*" : quote_ident(e.on.db) + "." + (e.on.table == "*" ? "*" : quote_ident(e.on.table));
    std::string privs = priv::list(e.mask, all_for(e.on));
    if (!e.columns.empty()) {
      // MySQL's order: privilege by privilege, a table-level one without
      // columns, the others with the columns holding them.
      const uint32_t table_level = e.mask & ~priv::kGrantOption;
      const bool all = (table_level & all_for(e.on)) == all_for(e.on);
      privs = all ? "ALL PRIVILEGES" : "";
      for (uint32_t i = 0; i < priv::kCount && !all; ++i) {
        const uint32_t bit = 1u << i;
        std::string cols;
        if (!(table_level & bit))
          for (const auto& [c, m] : e.columns)
            if (m & bit) cols += (cols.empty() ? "" : ", ") + quote_ident(c);
        if (!(table_level & bit) && cols.empty()) continue;
        privs += (privs.empty() ? "" : ", ") + std::string(kNames[i]) + (cols.empty() ? "" : " (" + cols + ")");
      }
    }
    std::string s = "GRANT " + privs + " ON " + what + who;
    if (e.mask & priv::kGrantOption) s += " WITH GRANT OPTION";
    return s;
  };
  std::vector<std::string> out;
  const Entry* global = nullptr;
  for (const auto& e : entries_)
    if (e.on.global()) global = &e;
  out.push_back(global ? line(*global) : line(Entry{GrantTarget{}, 0, {}}));
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& e : entries_)
      if (!e.on.global() && !e.empty() && e.on.database_level() == (pass == 0)) out.push_back(line(e));
  return out;
}

Privileges::Entry* Privileges::find(const GrantTarget& on) {
  for (auto& e : entries_)
    if (same_target(e.on, on)) return &e;
  return nullptr;
}

void Privileges::grant(const GrantTarget& on, uint32_t mask) {
  if (Entry* e = find(on)) {
    e->mask |= mask;
    return;
  }
  entries_.push_back(Entry{on, mask, {}});
}

bool Privileges::revoke(const GrantTarget& on, uint32_t mask) {
  Entry* e = find(on);
  if (!e || !(e->mask & mask)) return false;
  e->mask &= ~mask;
  if (e->empty()) entries_.erase(entries_.begin() + (e - entries_.data()));
  return true;
}

void Privileges::grant_columns(const GrantTarget& on, const std::vector<ColumnGrant>& grants) {
  Entry* e = find(on);
  if (!e) {
    entries_.push_back(Entry{on, 0, {}});
    e = &entries_.back();
  }
  for (const auto& g : grants)
    for (const auto& name : g.columns) {
      auto it = std::find_if(e->columns.begin(), e->columns.end(), [&](auto& c) { return iequals(c.first, name); });
      if (it == e->columns.end()) e->columns.emplace_back(name, g.bit);
      else it->second |= g.bit;
    }
  std::sort(e->columns.begin(), e->columns.end(),
            [](auto& a, auto& b) { return to_upper(a.first) < to_upper(b.first); });
}

bool Privileges::revoke_columns(const GrantTarget& on, const std::vector<ColumnGrant>& grants) {
  Entry* e = find(on);
  if (!e) return false;
  bool held = false;
  for (const auto& g : grants)
    for (const auto& name : g.columns)
      for (auto& [c, m] : e->columns)
        if (iequals(c, name) && (m & g.bit)) {
          m &= ~g.bit;
          held = true;
        }
  e->columns.erase(std::remove_if(e->columns.begin(), e->columns.end(), [](auto& c) { return c.second == 0; }),
                   e->columns.end());
  if (e->empty()) entries_.erase(entries_.begin() + (e - entries_.data()));
  return held;
}

uint32_t Privileges::on_column(const std::string& db, const std::string& table, const std::string& column) const {
  uint32_t m = on_table(db, table);
  for (const auto& e : entries_)
    if (!e.on.global() && !e.on.database_level() && e.on.db == db && iequals(e.on.table, table))
      for (const auto& [c, bits] : e.columns)
        if (iequals(c, column)) m |= bits;
  return m;
}

uint32_t Privileges::column_bits(const std::string& db, const std::string& table) const {
  uint32_t m = 0;
  for (const auto& e : entries_)
    if (!e.on.global() && !e.on.database_level() && e.on.db == db && iequals(e.on.table, table))
      for (const auto& c : e.columns) m |= c.second;
  return m;
}

bool Privileges::has_column_grants() const {
  for (const auto& e : entries_)
    if (!e.columns.empty()) return true;
  return false;
}

uint32_t Privileges::global() const {
  for (const auto& e : entries_)
    if (e.on.global()) return e.mask;
  return 0;
}

uint32_t Privileges::on_database(const std::string& db) const {
  uint32_t m = 0;
  for (const auto& e : entries_)
    if (e.on.global() || (e.on.database_level() && database_matches(e.on.db, db))) m |= e.mask;
  return m;
}

uint32_t Privileges::on_table(const std::string& db, const std::string& table) const {
  uint32_t m = on_database(db);
  for (const auto& e : entries_)
    if (!e.on.global() && !e.on.database_level() && e.on.db == db && iequals(e.on.table, table)) m |= e.mask;
  return m;
}

bool Privileges::any_on_database(const std::string& db) const {
  if (global() & priv::kAllDatabase) return true;
  for (const auto& e : entries_)
    if (!e.on.global() && !e.empty() && (e.on.database_level() ? database_matches(e.on.db, db) : e.on.db == db))
      return true;
  return false;
}

}  // namespace halb::cluster::sqld
