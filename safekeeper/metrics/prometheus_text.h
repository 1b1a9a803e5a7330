// PrometheusText: writes metric families in Prometheus' text exposition format 0.0.4, with
// # HELP and # TYPE once per family, label values escaped, and histograms as _bucket{le},
// _sum and _count. It knows nothing about which metrics exist; the HTTP API decides that.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "safekeeper/metrics/histogram.h"

namespace sk::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
 public:
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // Starts a family; the samples that follow belong to it. `type` is gauge, counter or histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, const Labels& labels, std::uint64_t value);
  void histogram(std::string_view name, const Labels& labels, const Histogram::Snapshot& h);

  const std::string& text() const { return out_; }

 private:
  void write_name_and_labels(std::string_view name, const Labels& labels);
  std::string out_;
};

}  // namespace sk::metrics
