// cluster/sqld/sql/upsert.h: INSERT ... ON DUPLICATE KEY UPDATE.
//
// SQLite has no UPSERT for virtual tables, so the front end runs it row by
// row as MySQL defines it: the rows to insert are computed first (VALUES,
// SET or SELECT), each is inserted with the virtual table told to report a
// clash on the primary key or a unique index instead of failing, and a
// clashing row becomes an UPDATE of the row holding that key, where
// VALUES(col), `alias.col` and a column alias stand for the value the row
// would have inserted. Affected rows follow MySQL: 1 per insert, 2 per
// changed row, 0 (1 with CLIENT_FOUND_ROWS) per row left as it was.
// ClusterSession::run_upsert (upsert.cc) does the running.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cluster/sqld/sql/session.h"
#include "cluster/sqld/sql/tokenizer.h"

namespace halb::cluster::sqld {

// Position of ON in a top-level "ON DUPLICATE KEY UPDATE" of an INSERT, or 0.
size_t on_duplicate_position(const std::vector<Token>& tokens);

// `sql` with each ? placeholder replaced by `params` as MySQL literals (a
// prepared upsert runs as text: its parameters sit on both sides of ON
// DUPLICATE KEY UPDATE).
std::string inline_parameters(const std::vector<Token>& tokens, std::string_view sql, const std::vector<Value>& params);

}  // namespace halb::cluster::sqld
