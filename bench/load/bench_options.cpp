#include "load/bench_options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <set>
#include <vector>

#include "load/request_builder.hpp"

namespace detserve::bench {
namespace {

template <typename Number>
Number parse_number(const std::string& flag, const std::string& text) {
    Number value{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || text.empty())
        throw UsageError(flag + (std::is_integral_v<Number> ? " expects an integer" : " expects a number") +
                         ", got '" + text + "'");
    if constexpr (std::is_floating_point_v<Number>)
        if (!std::isfinite(value)) throw UsageError(flag + " expects a finite number, got '" + text + "'");
    return value;
}

template <typename Number>
Number parse_positive(const std::string& flag, const std::string& text) {
    const auto value = parse_number<Number>(flag, text);
    if (value <= 0) throw UsageError(flag + " must be > 0, got '" + text + "'");
    return value;
}

double parse_non_negative(const std::string& flag, const std::string& text) {
    const auto value = parse_number<double>(flag, text);
    if (value < 0) throw UsageError(flag + " must be >= 0, got '" + text + "'");
    return value;
}

struct Flag {
    const char* name;
    bool takes_value;
    std::function<void(BenchOptions&, const std::string& flag, const std::string& value)> apply;
};

const std::vector<Flag>& flags() {
    using O = BenchOptions;
    using S = const std::string&;
    static const std::vector<Flag> table{
        {"--url", true, [](O& o, S, S v) { o.url = v; }},
        {"--concurrency", true,
         [](O& o, S f, S v) {
             o.mode = LoadMode::closed_loop;
             o.concurrency = parse_positive<int>(f, v);
         }},
        {"--rate", true,
         [](O& o, S f, S v) {
             o.mode = LoadMode::open_loop;
             o.rate = parse_positive<double>(f, v);
         }},
        {"--duration", true, [](O& o, S f, S v) { o.duration_s = parse_positive<double>(f, v); }},
        {"--requests", true, [](O& o, S f, S v) { o.requests = parse_positive<std::int64_t>(f, v); }},
        {"--warmup", true, [](O& o, S f, S v) { o.warmup_s = parse_non_negative(f, v); }},
        {"--format", true, [](O& o, S, S v) { o.format = v; }},
        {"--field", true, [](O& o, S, S v) { o.field = v; }},
        {"--expect-detections", false, [](O& o, S, S) { o.expect_detections = true; }},
        {"--json", true, [](O& o, S, S v) { o.json_path = v; }},
        {"--csv", true, [](O& o, S, S v) { o.csv_path = v; }},
        {"--label", true, [](O& o, S, S v) { o.label = v; }},
        {"--timeout", true, [](O& o, S f, S v) { o.timeout_s = parse_positive<double>(f, v); }},
        {"--max-connections", true, [](O& o, S f, S v) { o.max_connections = parse_positive<int>(f, v); }},
        {"--quiet", false, [](O& o, S, S) { o.quiet = true; }},
        {"--help", false, [](O& o, S, S) { o.help = true; }},
    };
    return table;
}

const Flag* find_flag(const std::string& name) {
    for (const auto& flag : flags())
        if (name == flag.name) return &flag;
    return nullptr;
}

bool is_flag(const std::string& arg) { return arg.starts_with("--"); }

void require_one_of(const std::set<std::string>& seen, const char* a, const char* b) {
    if (seen.count(a) && seen.count(b)) throw UsageError(std::string(a) + " and " + b + " exclude each other");
}

void check_combination(const BenchOptions& o, const std::set<std::string>& seen) {
    require_one_of(seen, "--concurrency", "--rate");
    require_one_of(seen, "--duration", "--requests");
    if (o.url.empty()) throw UsageError("--url is required");
    if (o.images.empty()) throw UsageError("--images is required (a directory or image files)");
    const auto formats = request_format_names();
    if (std::find(formats.begin(), formats.end(), o.format) == formats.end()) {
        std::string known;
        for (const auto& f : formats) {
            if (!known.empty()) known += '|';
            known += f;
        }
        throw UsageError("--format must be " + known + ", got '" + o.format + "'");
    }
    if (o.field.empty() || o.field.find_first_of("\"\r\n") != std::string::npos)
        throw UsageError("--field must be a non-empty name without quotes or line breaks");
}

}  // namespace

const char* load_mode_name(LoadMode mode) {
    return mode == LoadMode::open_loop ? "open_loop" : "closed_loop";
}

BenchOptions parse_bench_options(const std::vector<std::string>& args) {
    BenchOptions options;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i];
        std::optional<std::string> inline_value;
        if (const auto eq = name.find('='); is_flag(name) && eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
        }
        if (name == "--images") {
            if (inline_value) options.images.push_back(*inline_value);
            while (i + 1 < args.size() && !is_flag(args[i + 1])) options.images.push_back(args[++i]);
            if (options.images.empty()) throw UsageError("--images expects a directory or image files");
            seen.insert(name);
            continue;
        }
        const Flag* flag = find_flag(name);
        if (flag == nullptr) throw UsageError("unknown option '" + args[i] + "'");
        std::string value;
        if (flag->takes_value) {
            if (inline_value) {
                value = *inline_value;
            } else {
                if (i + 1 >= args.size()) throw UsageError(name + " expects a value");
                value = args[++i];
            }
        } else if (inline_value) {
            throw UsageError(name + " takes no value");
        }
        flag->apply(options, name, value);
        seen.insert(name);
    }
    if (!options.help) check_combination(options, seen);
    return options;
}

std::string usage_text() {
    return R"(usage: detserve-bench --url URL --images DIR|FILE... [options]

Posts images to a detserve route and reports throughput and latency.

  --url URL              e.g. http://127.0.0.1:8080/v1/detect or .../v1/vision/detection
  --images DIR|FILE...   a directory (its *.jpg/*.jpeg/*.png, sorted) or files; cycled through
  --concurrency N        closed loop: N connections sending back-to-back (default 1)
  --rate R               open loop: R requests/s on a fixed schedule; latency counts from the
                         scheduled send time, so queueing (server or client side) is not hidden
  --duration S           measured phase length in seconds (default 10)
  --requests N           measured phase length in requests (instead of --duration)
  --warmup S             seconds of requests sent first and left out of the stats (default 1)
  --format raw|multipart raw: the bytes, Content-Type image/jpeg|png; multipart: form-data
  --field NAME           multipart field name (default image, as DeepStack expects)
  --expect-detections    count answers with an empty detections/predictions array as errors
  --json FILE            write settings and results as JSON
  --csv FILE             append one row (header when the file is new), for sweeps
  --label NAME           a name for this run in the JSON/CSV
  --timeout S            per-request connect/read/write timeout in seconds (default 30)
  --max-connections N    open loop: most concurrent senders/connections (default 256)
  --quiet                no progress line
  --help                 this text

Exit status: 0 the run completed with at least one good answer; 1 every request failed (or an
output file could not be written); 2 usage error (bad flag or value, unreadable image).
)";
}

}  // namespace detserve::bench
