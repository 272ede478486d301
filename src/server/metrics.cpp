#include "detserve/server/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <stdexcept>
#include <type_traits>

namespace detserve::server {

namespace {

// Beyond 2^53 not every integer is a double, so larger values keep the shortest float form.
constexpr double kLargestExactInteger = 9007199254740992.0;
// Go's strconv 'g' format, which the Go client writes `le` labels with (and the Python client
// imitates), switches to an exponent below 1e-4: "0.0001" but "1e-05". Matching it keeps le
// values identical across exporters, since Prometheus compares them as strings.
constexpr double kSmallestFixedNotation = 1e-4;

// Metric and label names per the Prometheus data model:
// https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels
bool is_valid_name(std::string_view name, bool allow_colon) {
    auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool ok =
            is_letter(c) || c == '_' || (allow_colon && c == ':') || (i > 0 && is_digit(c));
        if (!ok) return false;
    }
    return true;
}

void check_metric_name(const std::string& name) {
    if (!is_valid_name(name, true))
        throw std::invalid_argument("invalid metric name '" + name +
                                    "': must match [a-zA-Z_:][a-zA-Z0-9_:]*");
}

void check_label_names(const std::string& metric, const std::vector<std::string>& label_names,
                       MetricType type) {
    std::set<std::string> seen;
    for (const auto& label : label_names) {
        if (!is_valid_name(label, false) || label.rfind("__", 0) == 0)
            throw std::invalid_argument("metric '" + metric + "': invalid label name '" + label +
                                        "': must match [a-zA-Z_][a-zA-Z0-9_]* without a __ prefix");
        if (type == MetricType::histogram && label == "le")
            throw std::invalid_argument("histogram '" + metric + "': label name 'le' is reserved");
        if (!seen.insert(label).second)
            throw std::invalid_argument("metric '" + metric + "': duplicate label name '" + label +
                                        "'");
    }
}

const char* type_name(MetricType type) {
    switch (type) {
        case MetricType::counter: return "counter";
        case MetricType::gauge: return "gauge";
        case MetricType::histogram: return "histogram";
    }
    return "untyped";
}

// HELP text escapes backslash and newline; label values also escape the double quote.
std::string escape(std::string_view text, bool escape_quote) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && escape_quote) out += "\\\"";
        else out += c;
    }
    return out;
}

// `{a="x",b="y"}`, with an optional trailing `le` pair; empty when there are no labels at all.
std::string label_text(const std::vector<std::string>& names,
                       const std::vector<std::string>& values, std::string_view le = {}) {
    if (names.empty() && le.empty()) return {};
    std::string out = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += ',';
        out += names[i] + "=\"" + escape(values[i], true) + '"';
    }
    if (!le.empty()) {
        if (!names.empty()) out += ',';
        out += "le=\"";
        out += le;
        out += '"';
    }
    out += '}';
    return out;
}

void append_sample(std::string& out, std::string_view name, const std::string& labels,
                   double value) {
    out += name;
    out += labels;
    out += ' ';
    out += format_metric_value(value);
    out += '\n';
}

void render_child(std::string& out, const std::string& name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, const Counter& counter) {
    append_sample(out, name, label_text(names, values), counter.value());
}

void render_child(std::string& out, const std::string& name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, const Gauge& gauge) {
    append_sample(out, name, label_text(names, values), gauge.value());
}

void render_child(std::string& out, const std::string& name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, const Histogram& histogram) {
    const Histogram::Snapshot snap = histogram.snapshot();
    for (std::size_t i = 0; i < snap.upper_bounds.size(); ++i)
        append_sample(out, name + "_bucket",
                      label_text(names, values, format_metric_value(snap.upper_bounds[i])),
                      static_cast<double>(snap.cumulative_counts[i]));
    append_sample(out, name + "_bucket", label_text(names, values, "+Inf"),
                  static_cast<double>(snap.count));
    append_sample(out, name + "_sum", label_text(names, values), snap.sum);
    append_sample(out, name + "_count", label_text(names, values), static_cast<double>(snap.count));
}

// 0.1 * 3 is 0.30000000000000004; bucket bounds read better (and match what people type into
// PromQL) as the 15-significant-digit value the arithmetic was meant to produce.
double round_to_15_digits(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.15g", value);
    return std::strtod(text, nullptr);
}

std::vector<double> checked_bounds(std::vector<double> bounds) {
    if (!bounds.empty() && bounds.back() == std::numeric_limits<double>::infinity())
        bounds.pop_back();
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (std::isnan(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
            throw std::invalid_argument("histogram bounds must be strictly increasing, got " +
                                        format_metric_value(bounds[i]) + " at index " +
                                        std::to_string(i));
    }
    return bounds;
}

}  // namespace

std::string format_metric_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char text[64];
    std::to_chars_result result;
    // Each branch writes the shortest digits that parse back to the same double.
    const double magnitude = std::fabs(value);
    if (magnitude > kLargestExactInteger)
        result = std::to_chars(text, text + sizeof text, value);  // "1e+300"
    else if (value == std::trunc(value))
        result = std::to_chars(text, text + sizeof text, static_cast<long long>(value));
    else if (magnitude < kSmallestFixedNotation)
        result = std::to_chars(text, text + sizeof text, value, std::chars_format::scientific);
    else
        result = std::to_chars(text, text + sizeof text, value, std::chars_format::fixed);
    return std::string(text, result.ptr);
}

void Counter::inc(double amount) {
    if (!(amount >= 0))
        throw std::invalid_argument("counter increment must be >= 0, got " +
                                    format_metric_value(amount));
    value_.fetch_add(amount, std::memory_order_relaxed);
}

void Counter::advance_to(double total) {
    double current = value_.load(std::memory_order_relaxed);
    while (total > current &&
           !value_.compare_exchange_weak(current, total, std::memory_order_relaxed)) {
    }
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(checked_bounds(std::move(upper_bounds))),
      bucket_counts_(upper_bounds_.size() + 1) {}

void Histogram::observe(double value) {
    // The first bucket with value <= bound; NaN compares false everywhere and lands in +Inf.
    const auto bucket = std::partition_point(upper_bounds_.begin(), upper_bounds_.end(),
                                             [value](double bound) { return !(value <= bound); });
    bucket_counts_[bucket - upper_bounds_.begin()].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot snap;
    snap.upper_bounds = upper_bounds_;
    snap.cumulative_counts.reserve(bucket_counts_.size());
    std::uint64_t running = 0;
    for (const auto& count : bucket_counts_) {
        running += count.load(std::memory_order_relaxed);
        snap.cumulative_counts.push_back(running);
    }
    // Derived from the buckets so that _count always equals the +Inf bucket, even mid-observe().
    snap.count = running;
    snap.sum = sum_.load(std::memory_order_relaxed);
    return snap;
}

template <typename Metric>
MetricFamily<Metric>::MetricFamily(std::string name, std::string help,
                                   std::vector<std::string> label_names,
                                   std::vector<double> histogram_bounds)
    : MetricFamilyBase(std::is_same_v<Metric, Counter> ? MetricType::counter
                       : std::is_same_v<Metric, Gauge> ? MetricType::gauge
                                                       : MetricType::histogram,
                       std::move(name), std::move(help), std::move(label_names)),
      histogram_bounds_(std::move(histogram_bounds)) {}

template <typename Metric>
Metric& MetricFamily<Metric>::with(const std::vector<std::string>& label_values) {
    if (label_values.size() != label_names().size())
        throw std::invalid_argument("metric '" + name() + "' has " +
                                    std::to_string(label_names().size()) + " labels, got " +
                                    std::to_string(label_values.size()) + " values");
    std::lock_guard lock(mutex_);
    if (auto found = by_label_values_.find(label_values); found != by_label_values_.end())
        return *found->second;
    std::unique_ptr<Metric> metric;
    if constexpr (std::is_same_v<Metric, Histogram>)
        metric = std::make_unique<Histogram>(histogram_bounds_);
    else
        metric = std::make_unique<Metric>();
    Metric& child = *metric;
    children_.push_back({label_values, std::move(metric)});
    by_label_values_.emplace(label_values, &child);
    return child;
}

template <typename Metric>
void MetricFamily<Metric>::remove(const std::vector<std::string>& label_values) {
    std::lock_guard lock(mutex_);
    if (by_label_values_.erase(label_values) == 0) return;
    children_.erase(std::find_if(children_.begin(), children_.end(),
                                 [&](const Child& child) { return child.label_values == label_values; }));
}

template <typename Metric>
void MetricFamily<Metric>::render(std::string& out) const {
    out += "# HELP " + name() + ' ' + escape(help(), false) + '\n';
    out += "# TYPE " + name() + ' ' + type_name(type()) + '\n';
    std::lock_guard lock(mutex_);
    for (const auto& child : children_)
        render_child(out, name(), label_names(), child.label_values, *child.metric);
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

template <typename Metric>
MetricFamily<Metric>& MetricsRegistry::add_family(MetricType type, const std::string& name,
                                                  const std::string& help,
                                                  const std::vector<std::string>& label_names,
                                                  const std::vector<double>& upper_bounds) {
    check_metric_name(name);
    check_label_names(name, label_names, type);
    std::vector<double> bounds;
    if (type == MetricType::histogram) bounds = checked_bounds(upper_bounds);

    std::lock_guard lock(families_mutex_);
    for (const auto& family : families_) {
        if (family->name() != name) continue;
        auto* same = dynamic_cast<MetricFamily<Metric>*>(family.get());
        if (same && same->help() == help && same->label_names() == label_names &&
            same->histogram_bounds() == bounds)
            return *same;
        throw std::invalid_argument("metric '" + name +
                                    "' is already registered with a different type, help, "
                                    "labels or buckets");
    }
    auto family = std::make_unique<MetricFamily<Metric>>(name, help, label_names, bounds);
    auto& result = *family;
    families_.push_back(std::move(family));
    return result;
}

CounterFamily& MetricsRegistry::counter_family(const std::string& name, const std::string& help,
                                               const std::vector<std::string>& label_names) {
    return add_family<Counter>(MetricType::counter, name, help, label_names, {});
}

GaugeFamily& MetricsRegistry::gauge_family(const std::string& name, const std::string& help,
                                           const std::vector<std::string>& label_names) {
    return add_family<Gauge>(MetricType::gauge, name, help, label_names, {});
}

HistogramFamily& MetricsRegistry::histogram_family(const std::string& name,
                                                   const std::string& help,
                                                   const std::vector<std::string>& label_names,
                                                   const std::vector<double>& upper_bounds) {
    return add_family<Histogram>(MetricType::histogram, name, help, label_names, upper_bounds);
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help) {
    return counter_family(name, help, {}).with({});
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help) {
    return gauge_family(name, help, {}).with({});
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      const std::vector<double>& upper_bounds) {
    return histogram_family(name, help, {}, upper_bounds).with({});
}

void MetricsRegistry::add_collector(std::function<void()> collect) {
    std::lock_guard lock(collectors_mutex_);
    collectors_.push_back(std::move(collect));
}

std::string MetricsRegistry::render() {
    std::lock_guard render_lock(render_mutex_);
    std::vector<std::function<void()>> collectors;
    {
        std::lock_guard lock(collectors_mutex_);
        collectors = collectors_;
    }
    // Outside the registry locks: a collector may register or look up metrics itself.
    for (const auto& collect : collectors) collect();

    std::string out;
    std::lock_guard lock(families_mutex_);
    for (const auto& family : families_) family->render(out);
    return out;
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
    if (!(start > 0) || !(factor > 1) || count < 1)
        throw std::invalid_argument("exponential_buckets needs start > 0, factor > 1, count >= 1");
    std::vector<double> bounds;
    for (int i = 0; i < count; ++i)
        bounds.push_back(round_to_15_digits(start * std::pow(factor, i)));
    return bounds;
}

std::vector<double> linear_buckets(double start, double width, int count) {
    if (!(width > 0) || count < 1)
        throw std::invalid_argument("linear_buckets needs width > 0, count >= 1");
    std::vector<double> bounds;
    for (int i = 0; i < count; ++i) bounds.push_back(round_to_15_digits(start + width * i));
    return bounds;
}

}  // namespace detserve::server
