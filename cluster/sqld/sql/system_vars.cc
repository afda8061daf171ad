// cluster/sqld/sql/system_vars.cc: system variables (see system_vars.h).
#include "cluster/sqld/sql/system_vars.h"

#include <unistd.h>

#include "cluster/sqld/sql/tokenizer.h"

namespace halb::cluster::sqld {

std::string var_name(std::string_view raw, std::string* scope) {
  std::string n = to_lower(raw);
  for (const char* p : {"session.", "global.", "local."}) {
    std::string pre = p;
    if (n.rfind(pre, 0) == 0) {
      if (scope) *scope = pre.substr(0, pre.size() - 1);
      n = n.substr(pre.size());
    }
  }
  return n;
}

GlobalVars::GlobalVars(const EngineOptions& o) {
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  auto s = [&](const char* n, std::string v, bool ro = false) { vars_[n] = SystemVar{std::move(v), false, ro}; };
  auto i = [&](const char* n, uint64_t v, bool ro = false) { vars_[n] = SystemVar{std::to_string(v), true, ro}; };
  s("version", kServerVersion, true);
  s("version_comment", "halb-sqld, the SQL node of a halb cluster", true);
  s("version_compile_os", "Linux", true);
  s("version_compile_machine", "x86_64", true);
  s("hostname", host, true);
  i("port", o.port, true);
  s("socket", o.socket, true);
  s("bind_address", o.bind_address, true);
  i("max_connections", o.max_connections);
  i("ndb_cluster_connection_pool", o.connection_pool, true);
  std::string pool_ids;
  for (uint32_t id : o.connection_pool_node_ids) pool_ids += (pool_ids.empty() ? "" : ",") + std::to_string(id);
  s("ndb_cluster_connection_pool_nodeids", pool_ids, true);
  i("max_allowed_packet", o.max_allowed_packet);
  i("wait_timeout", o.wait_timeout_s);
  i("interactive_timeout", 28800);
  i("net_read_timeout", 30);
  i("net_write_timeout", 60);
  i("net_buffer_length", 16384);
  i("connect_timeout", 10);
  i("autocommit", 1);
  s("transaction_isolation", "READ-COMMITTED");
  s("tx_isolation", "READ-COMMITTED");
  i("transaction_read_only", 0);
  i("tx_read_only", 0);
  for (const char* n : {"character_set_client", "character_set_connection", "character_set_results",
                        "character_set_server", "character_set_database"})
    s(n, "utf8mb4");
  s("character_set_system", "utf8mb3", true);
  s("character_set_filesystem", "binary");
  for (const char* n : {"collation_connection", "collation_server", "collation_database"}) s(n, "utf8mb4_general_ci");
  s("sql_mode", "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER");
  s("time_zone", "SYSTEM");
  s("system_time_zone", "UTC", true);
  i("lower_case_table_names", 0, true);
  s("license", "GPL", true);
  s("have_ndbcluster", "YES", true);
  s("have_ssl", "DISABLED", true);
  s("have_openssl", "DISABLED", true);
  s("default_storage_engine", "ndbcluster");
  s("storage_engine", "ndbcluster");
  s("ndb_connectstring", o.connectstring, true);
  i("auto_increment_increment", 1);
  i("auto_increment_offset", 1);
  s("init_connect", "");
  i("performance_schema", 0, true);
  i("query_cache_size", 0);
  s("query_cache_type", "OFF");
  i("sql_auto_is_null", 0);
  i("sql_select_limit", 18446744073709551615ull);
  i("sql_safe_updates", 0);
  i("sql_notes", 1);
  i("sql_warnings", 0);
  i("sql_quote_show_create", 1);
  i("sql_big_selects", 1);
  i("server_id", 0);
  i("protocol_version", 10, true);
  s("lc_messages", "en_US");
  s("lc_time_names", "en_US");
  i("foreign_key_checks", 1);
  i("unique_checks", 1);
  i("big_tables", 0);
  i("default_week_format", 0);
  i("div_precision_increment", 4);
  i("group_concat_max_len", 1024);
  i("innodb_lock_wait_timeout", 50);
  i("lock_wait_timeout", 31536000);
  s("long_query_time", "10.000000");
  i("max_execution_time", 0);
  i("max_statement_time", 0);
  i("profiling", 0);
  i("old_passwords", 0);
  s("default_authentication_plugin", "mysql_native_password", true);
  s("datadir", "/var/lib/halb/", true);
  i("table_open_cache", 2000);
  i("thread_cache_size", 0);
  i("max_join_size", 18446744073709551615ull);
  i("explicit_defaults_for_timestamp", 1);
  s("session_track_system_variables", "");
  s("session_track_transaction_info", "OFF");
  i("session_track_schema", 1);
  i("session_track_state_change", 0);
  s("optimizer_switch", "");
  i("ndb_use_transactions", 1);
  i("transaction_prealloc_size", 4096);
  i("warning_count", 0);
  i("error_count", 0);
}

std::optional<SystemVar> GlobalVars::get(const std::string& name) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

bool GlobalVars::set(const std::string& name, const std::string& value, bool& read_only) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = vars_.find(name);
  read_only = false;
  if (it == vars_.end()) return false;
  if (it->second.read_only) {
    read_only = true;
    return false;
  }
  it->second.value = value;
  return true;
}

std::map<std::string, SystemVar> GlobalVars::all() const {
  std::lock_guard<std::mutex> lk(mu_);
  return vars_;
}

}  // namespace halb::cluster::sqld
