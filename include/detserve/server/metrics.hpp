#pragma once
// A small thread-safe metrics registry rendered in the Prometheus text exposition format 0.0.4:
//
//     MetricsRegistry registry;
//     auto& requests = registry.counter_family("detserve_http_requests_total",
//                                              "HTTP requests by route and status code",
//                                              {"route", "code"});
//     requests.with({"/v1/detect", "200"}).inc();
//     std::string body = registry.render();  // served with kPrometheusContentType
//
// Children (one per label-value combination) are created on first use and never move or go away,
// so a reference returned by with() stays valid for the registry's lifetime.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace detserve::server {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// A monotonic total.
class Counter {
public:
    // Throws std::invalid_argument for a negative or NaN amount: counters only go up.
    void inc(double amount = 1.0);
    // Raises the counter to `total` if that is higher: for totals kept elsewhere (CPU time in
    // /proc), read at scrape time.
    void advance_to(double total);
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0.0};
};

// A value that goes up and down.
class Gauge {
public:
    void set(double value) { value_.store(value, std::memory_order_relaxed); }
    void inc(double amount = 1.0) { value_.fetch_add(amount, std::memory_order_relaxed); }
    void dec(double amount = 1.0) { value_.fetch_sub(amount, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0.0};
};

// Observations counted into fixed buckets `value <= upper_bound`; the +Inf bucket is implicit.
class Histogram {
public:
    // Bounds must be strictly increasing and not NaN (std::invalid_argument otherwise); a trailing
    // +Inf is dropped since it is always there.
    explicit Histogram(std::vector<double> upper_bounds);

    void observe(double value);

    struct Snapshot {
        std::vector<double> upper_bounds;               // without +Inf
        std::vector<std::uint64_t> cumulative_counts;   // one per bound, then +Inf (== count)
        double sum = 0;
        std::uint64_t count = 0;
    };
    Snapshot snapshot() const;
    const std::vector<double>& upper_bounds() const { return upper_bounds_; }

private:
    std::vector<double> upper_bounds_;
    std::vector<std::atomic<std::uint64_t>> bucket_counts_;  // not cumulative; +Inf last
    std::atomic<double> sum_{0.0};
};

enum class MetricType { counter, gauge, histogram };

class MetricFamilyBase {
public:
    MetricFamilyBase(MetricType type, std::string name, std::string help,
                     std::vector<std::string> label_names)
        : type_(type), name_(std::move(name)), help_(std::move(help)),
          label_names_(std::move(label_names)) {}
    virtual ~MetricFamilyBase() = default;
    MetricFamilyBase(const MetricFamilyBase&) = delete;
    MetricFamilyBase& operator=(const MetricFamilyBase&) = delete;

    MetricType type() const { return type_; }
    const std::string& name() const { return name_; }
    const std::string& help() const { return help_; }
    const std::vector<std::string>& label_names() const { return label_names_; }

    // Appends `# HELP`, `# TYPE` and one line per sample, children in creation order.
    virtual void render(std::string& out) const = 0;

private:
    MetricType type_;
    std::string name_, help_;
    std::vector<std::string> label_names_;
};

// The metrics of one name, one child per combination of label values.
template <typename Metric>
class MetricFamily final : public MetricFamilyBase {
public:
    MetricFamily(std::string name, std::string help, std::vector<std::string> label_names,
                 std::vector<double> histogram_bounds = {});

    // The child for these label values (in label_names() order), created on first use. Throws
    // std::invalid_argument when the number of values differs from the number of label names.
    Metric& with(const std::vector<std::string>& label_values);
    // Drops the child of these label values, if any: for info gauges whose labels describe
    // something replaced (a reloaded model). A reference with() gave for it must not be used after.
    void remove(const std::vector<std::string>& label_values);

    const std::vector<double>& histogram_bounds() const { return histogram_bounds_; }
    void render(std::string& out) const override;

private:
    struct Child {
        std::vector<std::string> label_values;
        std::unique_ptr<Metric> metric;
    };
    std::vector<double> histogram_bounds_;
    mutable std::mutex mutex_;
    std::vector<Child> children_;  // creation order
    std::map<std::vector<std::string>, Metric*> by_label_values_;
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

class MetricsRegistry {
public:
    MetricsRegistry() = default;
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    // Registering a name again with the same type, help, labels (and bounds) returns the existing
    // family; any difference, an invalid metric or label name, a duplicate label name or a
    // histogram label called "le" throws std::invalid_argument.
    CounterFamily& counter_family(const std::string& name, const std::string& help,
                                  const std::vector<std::string>& label_names);
    GaugeFamily& gauge_family(const std::string& name, const std::string& help,
                              const std::vector<std::string>& label_names);
    HistogramFamily& histogram_family(const std::string& name, const std::string& help,
                                      const std::vector<std::string>& label_names,
                                      const std::vector<double>& upper_bounds);

    // Families without labels: their single sample is rendered from registration on.
    Counter& counter(const std::string& name, const std::string& help);
    Gauge& gauge(const std::string& name, const std::string& help);
    Histogram& histogram(const std::string& name, const std::string& help,
                         const std::vector<double>& upper_bounds);

    // Runs at the start of every render(), to refresh pull-style values (queue depth, /proc).
    // Collectors run one at a time; an exception from one propagates out of render().
    void add_collector(std::function<void()> collect);

    // Every family in registration order, in text format 0.0.4.
    std::string render();

private:
    template <typename Metric>
    MetricFamily<Metric>& add_family(MetricType type, const std::string& name,
                                     const std::string& help,
                                     const std::vector<std::string>& label_names,
                                     const std::vector<double>& upper_bounds);

    std::mutex families_mutex_;
    std::vector<std::unique_ptr<MetricFamilyBase>> families_;
    std::mutex collectors_mutex_;
    std::vector<std::function<void()>> collectors_;
    std::mutex render_mutex_;  // one scrape at a time, so collectors never race each other
};

// start, start*factor, …: `count` bounds. Throws std::invalid_argument unless start > 0,
// factor > 1 and count >= 1.
std::vector<double> exponential_buckets(double start, double factor, int count);
// start, start+width, …: `count` bounds. Throws std::invalid_argument unless width > 0, count >= 1.
std::vector<double> linear_buckets(double start, double width, int count);

// A sample value or `le` bound as the text format writes it, always the shortest digits that parse
// back to the same double: integers up to 2^53 plainly ("1000000"), other values as "0.005" down
// to 1e-4 and as "1e-05" below (as Go's client writes le labels), "+Inf", "-Inf", "NaN".
std::string format_metric_value(double value);

}  // namespace detserve::server
