-- bench/sql/statement.lua: one kind of oltp_read_write's statements in a
-- loop (sysbench custom script, run by bench/sql/statements), each event
-- one BEGIN, the statement, COMMIT -- as read_write runs it -- so the cost
-- of one kind shows apart from the others. --kind=begin_commit is the
-- empty transaction to subtract.
require("oltp_common")

sysbench.cmdline.options.kind = {"statement kind: point, simple_range, sum_range, order_range, " ..
                                   "distinct_range, index_update, non_index_update, delete_insert, begin_commit",
                                 "point"}

local kinds = {
  point = {prepare_point_selects, execute_point_selects},
  simple_range = {prepare_simple_ranges, execute_simple_ranges},
  sum_range = {prepare_sum_ranges, execute_sum_ranges},
  order_range = {prepare_order_ranges, execute_order_ranges},
  distinct_range = {prepare_distinct_ranges, execute_distinct_ranges},
  index_update = {prepare_index_updates, execute_index_updates},
  non_index_update = {prepare_non_index_updates, execute_non_index_updates},
  delete_insert = {prepare_delete_inserts, execute_delete_inserts},
  begin_commit = {function() end, function() end},
}

local function kind()
  local k = kinds[sysbench.opt.kind]
  if k == nil then error("unknown --kind " .. tostring(sysbench.opt.kind)) end
  return k
end

function prepare_statements()
  prepare_begin()
  prepare_commit()
  kind()[1]()
end

function event()
  begin()
  kind()[2]()
  commit()
end
