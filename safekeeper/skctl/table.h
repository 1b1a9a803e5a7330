// skctl's human output: psql's aligned format (a header, a rule, the rows, "(N rows)"), from
// the JSON objects the API answers with. Pure.
#pragma once

#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace sk::skctl {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

// One row per object, one column per key in `columns`; a missing key or null is empty, a
// string as is, anything else as JSON.
Table table_of(const boost::json::array& objects, const std::vector<std::string>& columns);
// One object as a two-column table of its `fields` (psql's expanded display, turned sideways).
Table record_of(const boost::json::object& object, const std::vector<std::string>& fields);

std::string format_table(const Table& table);

}  // namespace sk::skctl
