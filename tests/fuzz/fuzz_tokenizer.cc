// tests/fuzz/fuzz_tokenizer.cc: libFuzzer target for the SQL front end --
// arbitrary client bytes through the tokenizer, the statement splitter, the
// CREATE TABLE parser and the SQLite rewrite, and the LIKE-wildcard matcher
// (the input's halves as pattern and text). None may crash, hang or read
// out of bounds; every token must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cluster/sqld/sql/rewrite.h"
#include "cluster/sqld/sql/table_def.h"
#include "cluster/sqld/sql/tokenizer.h"

using namespace halb::cluster::sqld;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view sql(reinterpret_cast<const char*>(data), size);
  for (int mode = 0; mode < 4; ++mode)
    wildcard_match(sql.substr(0, size / 2), sql.substr(size / 2), mode & 1, mode & 2);
  TokenizeResult r = tokenize(sql);
  for (const Token& t : r.tokens)
    if (t.offset > size || t.end > size || t.end < t.offset) abort();
  if (!r.error.empty()) return 0;
  RewriteEnv env;
  env.current_db = "db";
  env.sysvar = [](const std::string&) -> std::optional<std::string> { return std::string("1"); };
  env.uservar = [](const std::string&) { return std::string("NULL"); };
  for (const StatementTokens& st : split_statements(r.tokens, sql)) {
    if (st.begin > st.end || st.end > size) abort();
    std::string_view text = sql.substr(st.begin, st.end - st.begin);
    rewrite_for_sqlite(st.tokens, sql, env);
    ParsedCreateTable p = parse_create_table(st.tokens);
    if (p.error.empty()) {
      p.def.create_statement();
      halb::cluster::engine::Table t = p.def.to_cluster_table();
      (void)t;
      p.def.sqlite_declaration();
    }
    (void)text;
  }
  return 0;
}
