// Tables; see table.h.
#include "safekeeper/skctl/table.h"

#include <algorithm>

#include <boost/json/serialize.hpp>

namespace sk::skctl {
namespace {

std::string cell(const boost::json::object& object, const std::string& key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) {
    return "";
  }
  if (value->is_string()) {
    return std::string(value->get_string());
  }
  return boost::json::serialize(*value);
}

}  // namespace

Table table_of(const boost::json::array& objects, const std::vector<std::string>& columns) {
  Table table{columns, {}};
  for (const auto& value : objects) {
    std::vector<std::string> row;
    for (const std::string& column : columns) {
      row.push_back(value.is_object() ? cell(value.get_object(), column) : "");
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table record_of(const boost::json::object& object, const std::vector<std::string>& fields) {
  Table table{{"field", "value"}, {}};
  for (const std::string& field : fields) {
    table.rows.push_back({field, cell(object, field)});
  }
  return table;
}

std::string format_table(const Table& table) {
  std::vector<std::size_t> widths;
  for (const std::string& column : table.columns) {
    widths.push_back(column.size());
  }
  for (const auto& row : table.rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells, bool centred) {
    std::string out;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string& text = i < cells.size() ? cells[i] : std::string();
      const std::size_t pad = widths[i] - text.size();
      const std::size_t before = centred ? pad / 2 : 0;
      out += (i == 0 ? " " : " | ") + std::string(before, ' ') + text;
      if (i + 1 < widths.size()) {
        out += std::string(pad - before, ' ');
      }
    }
    return out + "\n";
  };
  std::string out = line(table.columns, true);
  for (std::size_t i = 0; i < widths.size(); ++i) {
    out += (i == 0 ? "-" : "+-") + std::string(widths[i], '-') + "-";
  }
  out += "\n";
  for (const auto& row : table.rows) {
    out += line(row, false);
  }
  const std::size_t n = table.rows.size();
  out += "(" + std::to_string(n) + (n == 1 ? " row)\n" : " rows)\n");
  return out;
}

}  // namespace sk::skctl
