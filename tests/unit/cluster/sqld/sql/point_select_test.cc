// Unit tests: which statements the primary-key fast path recognises, the
// key values it accepts per column type, its result values, and the text
// queries' statement cache.
#include "cluster/sqld/sql/point_select.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "cluster/sqld/sql/statement_cache.h"

namespace halb::cluster::sqld {
namespace {

std::optional<PointSelect> rec(const std::string& sql) { return recognise_point_select(tokenize(sql).tokens); }

TEST(PointSelect, SysbenchPointSelectQualifies) {
  auto p = rec("SELECT c FROM sbtest1 WHERE id=?");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->table, "sbtest1");
  EXPECT_EQ(p->db, "");
  EXPECT_FALSE(p->star);
  EXPECT_EQ(p->columns, std::vector<std::string>{"c"});
  ASSERT_EQ(p->terms.size(), 1u);
  EXPECT_EQ(p->terms[0].column, "id");
  EXPECT_EQ(p->terms[0].kind, PointSelect::Term::Kind::kParam);
  EXPECT_EQ(p->params, 1);
}

TEST(PointSelect, LiteralsStarQualifiedTableAndLimit) {
  auto p = rec("select * from `d b`.t where a = -5 and `b` = 'x''y' and c = ? limit 1;");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->star);
  EXPECT_EQ(p->db, "d b");
  EXPECT_EQ(p->table, "t");
  ASSERT_EQ(p->terms.size(), 3u);
  EXPECT_EQ(p->terms[0].kind, PointSelect::Term::Kind::kInteger);
  EXPECT_EQ(p->terms[0].integer, -5);
  EXPECT_EQ(p->terms[1].kind, PointSelect::Term::Kind::kString);
  EXPECT_EQ(p->terms[1].text, "x'y");
  EXPECT_EQ(p->terms[2].param, 0);
  auto q = rec("SELECT a, b, `select` FROM t WHERE a = 9223372036854775807");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->columns.size(), 3u);
  EXPECT_EQ(q->terms[0].integer, INT64_MAX);
  ASSERT_TRUE(rec("SELECT a FROM t WHERE a = -9223372036854775808"));
}

TEST(PointSelect, OtherShapesDoNot) {
  for (const char* sql : {
           "SELECT c FROM t WHERE id > 1",
           "SELECT c FROM t WHERE id = 1 OR id = 2",
           "SELECT c FROM t WHERE id IN (1)",
           "SELECT c FROM t WHERE (id = 1)",
           "SELECT c FROM t WHERE 1 = id",
           "SELECT c FROM t WHERE id = 1.5",
           "SELECT c FROM t WHERE id = 1e3",
           "SELECT c FROM t WHERE id = 9223372036854775808",
           "SELECT c FROM t WHERE id = 0x41",
           "SELECT c FROM t WHERE id = NULL",
           "SELECT c FROM t WHERE id = @x",
           "SELECT c FROM t WHERE id = 1 + 1",
           "SELECT c FROM t WHERE id = 1 FOR UPDATE",
           "SELECT c FROM t WHERE id = 1 LOCK IN SHARE MODE",
           "SELECT c FROM t WHERE id = 1 FOR SHARE",
           "SELECT c FROM t WHERE id = 1 LIMIT 0",
           "SELECT c FROM t WHERE id = 1 LIMIT 1, 1",
           "SELECT c FROM t WHERE id = 1 LIMIT ?",
           "SELECT c FROM t WHERE id = 1 ORDER BY c",
           "SELECT c FROM t",
           "SELECT c FROM t x WHERE id = 1",
           "SELECT c FROM t AS x WHERE id = 1",
           "SELECT c FROM t, u WHERE id = 1",
           "SELECT c FROM t JOIN u WHERE id = 1",
           "SELECT c AS d FROM t WHERE id = 1",
           "SELECT t.c FROM t WHERE id = 1",
           "SELECT c FROM t WHERE t.id = 1",
           "SELECT COUNT(*) FROM t WHERE id = 1",
           "SELECT c + 1 FROM t WHERE id = 1",
           "SELECT DISTINCT c FROM t WHERE id = 1",
           "SELECT SQL_NO_CACHE c FROM t WHERE id = 1",
           "SELECT NULL FROM t WHERE id = 1",
           "SELECT *, c FROM t WHERE id = 1",
           "SELECT c FROM t WHERE id = 1 UNION SELECT c FROM t WHERE id = 2",
           "SELECT c FROM t WHERE id = (SELECT 1)",
           "SELECT c FROM t WHERE id = 1 AND",
           "SELECT c FROM t WHERE id = 'a' COLLATE utf8mb4_bin",
           "SELECT c FROM t USE INDEX (PRIMARY) WHERE id = 1",
           "SELECT c INTO @x FROM t WHERE id = 1",
           "UPDATE t SET c = 1 WHERE id = 1",
           "SELECT 1",
       })
    EXPECT_FALSE(rec(sql)) << sql;
}

ColumnMeta col(const std::string& base, bool is_unsigned = false) {
  ColumnMeta c;
  c.name = "k";
  c.base = base;
  c.is_unsigned = is_unsigned;
  c.length = 10;
  return c;
}

PointSelect::Term integer(int64_t v) {
  PointSelect::Term t;
  t.kind = PointSelect::Term::Kind::kInteger;
  t.integer = v;
  return t;
}

PointSelect::Term string(const std::string& s) {
  PointSelect::Term t;
  t.kind = PointSelect::Term::Kind::kString;
  t.text = s;
  return t;
}

PointSelect::Term param(uint16_t n) {
  PointSelect::Term t;
  t.kind = PointSelect::Term::Kind::kParam;
  t.param = n;
  return t;
}

TEST(PointSelect, KeyValuesOnlyWhenExact) {
  auto in = key_input(col("int"), integer(7), {});
  ASSERT_TRUE(in);
  EXPECT_EQ(in->kind, SqlInput::Kind::kInt);
  EXPECT_EQ(in->i, 7);
  EXPECT_TRUE(key_input(col("bigint", true), param(0), {Value{uint64_t{5}}}));
  EXPECT_FALSE(key_input(col("bigint", true), param(0), {Value{uint64_t{1} << 63}}));
  EXPECT_FALSE(key_input(col("int"), string("7"), {}));           // string against an INT column
  EXPECT_FALSE(key_input(col("int"), param(0), {Value{std::string("7")}}));
  EXPECT_FALSE(key_input(col("int"), param(0), {Value{7.0}}));
  EXPECT_FALSE(key_input(col("int"), param(0), {Value{std::monostate{}}}));
  EXPECT_FALSE(key_input(col("int"), param(1), {Value{int64_t{1}}}));  // no such parameter
  EXPECT_FALSE(key_input(col("year"), integer(2020), {}));
  EXPECT_FALSE(key_input(col("decimal"), integer(1), {}));
  EXPECT_FALSE(key_input(col("datetime"), string("2020-01-01 00:00:00"), {}));
  EXPECT_FALSE(key_input(col("varbinary"), string("x"), {}));
  auto s = key_input(col("varchar"), string("ab "), {});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, SqlInput::Kind::kText);
  EXPECT_EQ(s->s, "ab ");
  EXPECT_FALSE(key_input(col("char"), integer(1), {}));
  EXPECT_FALSE(key_input(col("varchar"), string(std::string("a\0b", 3)), {}));  // SQLite gets a BLOB literal
  EXPECT_FALSE(key_input(col("varchar"), string("\xff"), {}));
  EXPECT_TRUE(key_input(col("varchar"), param(0), {Value{std::string("\xff")}}));  // bound as text
}

ColumnDef result_col(FieldType t, uint16_t flags = 0, uint8_t decimals = 0) {
  ColumnDef c;
  c.type = t;
  c.flags = flags;
  c.decimals = decimals;
  return c;
}

SqlInput input(SqlInput::Kind k, int64_t i = 0, double d = 0, std::string s = "") {
  SqlInput in;
  in.kind = k;
  in.i = i;
  in.d = d;
  in.s = std::move(s);
  return in;
}

TEST(PointSelect, ResultValuesAsTheSqlitePathMakesThem) {
  using Kd = SqlInput::Kind;
  EXPECT_EQ(fast_wire_value(input(Kd::kNull), result_col(FieldType::kLong)), Value{std::monostate{}});
  EXPECT_EQ(fast_wire_value(input(Kd::kInt, -3), result_col(FieldType::kLong)), Value{int64_t{-3}});
  EXPECT_EQ(fast_wire_value(input(Kd::kInt, 3), result_col(FieldType::kLong, column_flag::kUnsigned)),
            Value{uint64_t{3}});
  EXPECT_FALSE(fast_wire_value(input(Kd::kDouble, 0, 1.8e19), result_col(FieldType::kLongLong)));
  EXPECT_EQ(fast_wire_value(input(Kd::kDouble, 0, 1.25), result_col(FieldType::kNewDecimal, 0, 2)),
            Value{std::string("1.25")});
  EXPECT_EQ(fast_wire_value(input(Kd::kDouble, 0, 2.5), result_col(FieldType::kDouble)), Value{2.5});
  EXPECT_EQ(fast_wire_value(input(Kd::kText, 0, 0, "2020-01-02 03:04:05"), result_col(FieldType::kDatetime)),
            Value{std::string("2020-01-02 03:04:05")});
  EXPECT_EQ(fast_wire_value(input(Kd::kText, 0, 0, "a  "), result_col(FieldType::kVarString)),
            Value{std::string("a  ")});
  EXPECT_FALSE(fast_wire_value(input(Kd::kText, 0, 0, "1"), result_col(FieldType::kDouble)));
}

TEST(StatementCache, ReusesAndEvictsLeastRecentlyUsed) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  auto prep = [&](const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK);
    return s;
  };
  {
    StatementCache cache(2);
    EXPECT_EQ(cache.take("SELECT 1"), nullptr);
    sqlite3_stmt* one = prep("SELECT 1");
    ASSERT_EQ(sqlite3_step(one), SQLITE_ROW);  // given back mid-way: reset by the cache
    cache.give_back("SELECT 1", one);
    cache.give_back("SELECT 2", prep("SELECT 2"));
    EXPECT_EQ(cache.take("SELECT 1"), one);     // taken out while it runs
    EXPECT_EQ(cache.take("SELECT 1"), nullptr);
    ASSERT_EQ(sqlite3_step(one), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(one, 0), 1);
    cache.give_back("SELECT 1", one);           // now the most recent
    cache.give_back("SELECT 3", prep("SELECT 3"));  // evicts SELECT 2
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.take("SELECT 2"), nullptr);
    sqlite3_stmt* again = cache.take("SELECT 1");
    EXPECT_EQ(again, one);
    cache.give_back("SELECT 1", again);
    cache.give_back("SELECT 1", prep("SELECT 1"));  // a second one for the same text: finalized
    EXPECT_EQ(cache.size(), 2u);
    cache.clear();
    EXPECT_EQ(cache.size(), 0u);
  }
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);  // nothing left unfinalized
}

}  // namespace
}  // namespace halb::cluster::sqld
