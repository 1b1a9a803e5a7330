// PrometheusText; see prometheus_text.h.
#include "safekeeper/metrics/prometheus_text.h"

#include <cmath>
#include <cstdio>

namespace sk::metrics {

namespace {

// Label values escape backslash, double quote and newline (the exposition format's rule).
void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

std::string format_double(double value) {
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  return buffer;
}

}  // namespace

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::write_name_and_labels(std::string_view name, const Labels& labels) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) {
        out_ += ',';
      }
      out_ += labels[i].first;
      out_ += "=\"";
      append_escaped(out_, labels[i].second);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
}

void PrometheusText::sample(std::string_view name, const Labels& labels, double value) {
  write_name_and_labels(name, labels);
  out_ += format_double(value);
  out_ += '\n';
}

void PrometheusText::sample(std::string_view name, const Labels& labels, std::uint64_t value) {
  write_name_and_labels(name, labels);
  out_ += std::to_string(value);
  out_ += '\n';
}

void PrometheusText::histogram(std::string_view name, const Labels& labels,
                               const Histogram::Snapshot& h) {
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i <= h.upper_bounds.size(); ++i) {
    Labels with_le = labels;
    with_le.emplace_back(
        "le", i < h.upper_bounds.size() ? format_double(h.upper_bounds[i]) : std::string("+Inf"));
    sample(bucket, with_le, h.cumulative[i]);
  }
  sample(std::string(name) + "_sum", labels, h.sum_seconds);
  sample(std::string(name) + "_count", labels, h.count);
}

}  // namespace sk::metrics
