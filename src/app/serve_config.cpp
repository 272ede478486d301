#include "detserve/app/serve_config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>

#include "api_keys.hpp"
#include "serve_model_list.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/engine/engine.hpp"

namespace detserve::app {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kConfigEnv = "DETSERVE_CONFIG";
constexpr std::string_view kEnvPrefix = "DETSERVE_";
// OpenCV's image codecs refuse more pixels than this (CV_IO_MAX_IMAGE_PIXELS, default 2^30).
constexpr std::int64_t kOpenCvMaxImagePixels = std::int64_t{1} << 30;
constexpr std::int64_t kMaxBodyBytesLimit = std::int64_t{4} << 30;

// A value as one source gave it: a JSON value from the config file, or the text of a flag or an
// environment variable, which is converted to the setting's type.
struct RawValue {
    const Json* json = nullptr;
    std::string_view text;

    std::string shown() const { return json ? json->dump() : "'" + std::string(text) + "'"; }
    bool is_null() const { return json ? json->is_null() : text == "null"; }
};

// A value a setting cannot take; the loader prefixes where it came from. `key_path` is where inside
// a structured value ("[1].streams" of models), appended to the key.
class BadValue : public std::runtime_error {
public:
    explicit BadValue(const std::string& message, std::string key_path = "")
        : std::runtime_error(message), key_path_(std::move(key_path)) {}
    const std::string& key_path() const { return key_path_; }

private:
    std::string key_path_;
};

std::optional<std::int64_t> to_integer(const RawValue& raw) {
    if (raw.json) {
        if (raw.json->is_number_unsigned()) {
            const auto value = raw.json->get<std::uint64_t>();
            if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
            return static_cast<std::int64_t>(value);
        }
        if (raw.json->is_number_integer()) return raw.json->get<std::int64_t>();
        return std::nullopt;
    }
    std::int64_t value = 0;
    const char* end = raw.text.data() + raw.text.size();
    const auto [ptr, error] = std::from_chars(raw.text.data(), end, value);
    if (error != std::errc() || ptr != end) return std::nullopt;
    return value;
}

std::optional<double> to_number(const RawValue& raw) {
    if (raw.json) return raw.json->is_number() ? std::optional(raw.json->get<double>()) : std::nullopt;
    double value = 0;
    const char* end = raw.text.data() + raw.text.size();
    const auto [ptr, error] = std::from_chars(raw.text.data(), end, value);
    if (error != std::errc() || ptr != end) return std::nullopt;
    return value;
}

std::optional<bool> to_bool(const RawValue& raw) {
    if (raw.json) return raw.json->is_boolean() ? std::optional(raw.json->get<bool>()) : std::nullopt;
    if (raw.text == "true" || raw.text == "1") return true;
    if (raw.text == "false" || raw.text == "0") return false;
    return std::nullopt;
}

std::optional<std::string> to_string(const RawValue& raw) {
    if (raw.json) return raw.json->is_string() ? std::optional(raw.json->get<std::string>()) : std::nullopt;
    return std::string(raw.text);
}

std::string format_number(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

// One row of the settings table. `set` throws BadValue; the factories below build the rows.
struct Setting {
    std::string name;     // JSON key; flag --name (or with '-' for '_'); env DETSERVE_NAME
    std::string type;     // for --help and the docs, e.g. "integer in [1, 64]"
    std::string metavar;  // for --help, e.g. "N"
    std::string help;
    bool is_boolean = false;  // a flag may then stand alone: --access-log means true
    std::function<void(ServeConfig&, const RawValue&)> set;
    std::function<Json(const ServeConfig&)> get;
    std::string null_shown = "none (the model's)";  // what a null default means, for --help
};

std::string integer_range(std::int64_t min, std::int64_t max) {
    return "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
}

template <typename Int>
Setting integer(std::string name, Int ServeConfig::*member, std::int64_t min, std::int64_t max, std::string help) {
    const std::string type = "integer in " + integer_range(min, max);
    auto set = [=](ServeConfig& config, const RawValue& raw) {
        const auto value = to_integer(raw);
        if (!value || *value < min || *value > max) throw BadValue("expected an " + type + ", got " + raw.shown());
        config.*member = static_cast<Int>(*value);
    };
    auto get = [=](const ServeConfig& config) { return Json(config.*member); };
    return {std::move(name), type, "N", std::move(help), false, std::move(set), std::move(get)};
}

Setting optional_integer(std::string name, std::optional<int> ServeConfig::*member, int min, int max,
                         std::string help) {
    const std::string type = "integer in " + integer_range(min, max) + " or null";
    auto set = [=](ServeConfig& config, const RawValue& raw) {
        if (raw.is_null()) return (config.*member).reset();
        const auto value = to_integer(raw);
        if (!value || *value < min || *value > max) throw BadValue("expected an " + type + ", got " + raw.shown());
        config.*member = static_cast<int>(*value);
    };
    auto get = [=](const ServeConfig& config) { return config.*member ? Json(*(config.*member)) : Json(nullptr); };
    return {std::move(name), type, "N", std::move(help), false, std::move(set), std::move(get)};
}

Setting optional_number(std::string name, std::optional<double> ServeConfig::*member, double min, double max,
                        std::string help) {
    const std::string type = "number in [" + format_number(min) + ", " + format_number(max) + "] or null";
    auto set = [=](ServeConfig& config, const RawValue& raw) {
        if (raw.is_null()) return (config.*member).reset();
        const auto value = to_number(raw);
        // Written so that NaN, which compares false with everything, is refused too.
        if (!value || !(*value >= min && *value <= max)) throw BadValue("expected a " + type + ", got " + raw.shown());
        config.*member = *value;
    };
    auto get = [=](const ServeConfig& config) { return config.*member ? Json(*(config.*member)) : Json(nullptr); };
    return {std::move(name), type, "X", std::move(help), false, std::move(set), std::move(get)};
}

Setting boolean(std::string name, bool ServeConfig::*member, std::string help) {
    auto set = [=](ServeConfig& config, const RawValue& raw) {
        const auto value = to_bool(raw);
        if (!value)
            throw BadValue(std::string(raw.json ? "expected true or false" : "expected true, false, 1 or 0") +
                           ", got " + raw.shown());
        config.*member = *value;
    };
    auto get = [=](const ServeConfig& config) { return Json(config.*member); };
    return {std::move(name), "boolean", "true|false", std::move(help), true, std::move(set), std::move(get)};
}

Setting text(std::string name, std::string ServeConfig::*member, std::string metavar, std::string help,
             bool may_be_empty = false) {
    auto set = [=](ServeConfig& config, const RawValue& raw) {
        auto value = to_string(raw);
        if (!value || (value->empty() && !may_be_empty))
            throw BadValue("expected a non-empty string, got " + raw.shown());
        config.*member = std::move(*value);
    };
    auto get = [=](const ServeConfig& config) { return Json(config.*member); };
    return {std::move(name), "string", std::move(metavar), std::move(help), false, std::move(set), std::move(get)};
}

// A string from a fixed set: `names` for messages and docs, `accepts` decides.
Setting choice(std::string name, std::string ServeConfig::*member, std::vector<std::string> names,
               std::function<bool(const std::string&)> accepts, std::string help) {
    const std::string listed = join(names, ", ");
    auto set = [=](ServeConfig& config, const RawValue& raw) {
        auto value = to_string(raw);
        if (!value) throw BadValue("expected one of " + listed + ", got " + raw.shown());
        if (!accepts(*value)) throw BadValue("unknown " + name + " " + raw.shown() + " (" + listed + ")");
        config.*member = std::move(*value);
    };
    auto get = [=](const ServeConfig& config) { return Json(config.*member); };
    return {name, "one of " + listed, join(names, "|"), std::move(help), false, std::move(set), std::move(get)};
}

// Comma-separated API keys. Messages never show the value: it holds secrets.
Setting key_list(std::string name, std::string ServeConfig::*member, std::string help) {
    auto set = [=](ServeConfig& config, const RawValue& raw) {
        auto value = to_string(raw);
        if (!value) throw BadValue("expected a string of comma-separated keys (the value is not shown)");
        try {
            split_api_keys(*value);
        } catch (const std::invalid_argument& e) {
            throw BadValue(e.what());
        }
        config.*member = std::move(*value);
    };
    auto get = [=](const ServeConfig& config) { return Json(config.*member); };
    return {std::move(name), "string", "KEYS", std::move(help), false, std::move(set), std::move(get)};
}

constexpr double kMinRatePerS = 0.001, kMaxRatePerS = 1'000'000;  // as `expected` below says
constexpr int kMaxRateBurst = 1'000'000;

std::optional<RateLimitSetting> checked_rate_limit(double per_s, std::optional<std::int64_t> burst) {
    if (!(per_s >= kMinRatePerS && per_s <= kMaxRatePerS)) return std::nullopt;
    const std::int64_t bucket = burst ? *burst : std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(per_s)));
    if (bucket < 1 || bucket > kMaxRateBurst) return std::nullopt;
    return RateLimitSetting{per_s, static_cast<int>(bucket)};
}

// {"per_s": X, "burst": N} (burst optional); as text also "PER_S[:BURST]".
std::optional<RateLimitSetting> to_rate_limit(const RawValue& raw) {
    if (!raw.json) {
        const auto text = raw.text;
        if (!text.empty() && text.front() == '{') {
            const Json parsed = Json::parse(text, nullptr, false);
            return parsed.is_discarded() ? std::nullopt : to_rate_limit(RawValue{&parsed, {}});
        }
        const auto colon = text.find(':');
        const auto per_s = to_number(RawValue{nullptr, text.substr(0, colon)});
        if (!per_s) return std::nullopt;
        if (colon == std::string_view::npos) return checked_rate_limit(*per_s, std::nullopt);
        const auto burst = to_integer(RawValue{nullptr, text.substr(colon + 1)});
        return burst ? checked_rate_limit(*per_s, burst) : std::nullopt;
    }
    const Json& json = *raw.json;
    if (!json.is_object() || !json.contains("per_s") || !json["per_s"].is_number()) return std::nullopt;
    for (const auto& [key, value] : json.items())
        if (key != "per_s" && key != "burst") return std::nullopt;
    std::optional<std::int64_t> burst;
    if (json.contains("burst")) {
        burst = to_integer(RawValue{&json["burst"], {}});
        if (!burst) return std::nullopt;
    }
    return checked_rate_limit(json["per_s"].get<double>(), burst);
}

Setting rate_limit(std::string name, std::optional<RateLimitSetting> ServeConfig::*member, std::string help) {
    const std::string type = "object {per_s, burst} or null; as a flag PER_S[:BURST]";
    const std::string expected =
        "{\"per_s\": X, \"burst\": N} or PER_S[:BURST] with per_s in [0.001, 1000000] and burst in [1, 1000000], "
        "or null";
    auto set = [=](ServeConfig& config, const RawValue& raw) {
        if (raw.is_null()) return (config.*member).reset();
        const auto value = to_rate_limit(raw);
        if (!value) throw BadValue("expected " + expected + ", got " + raw.shown());
        config.*member = *value;
    };
    auto get = [=](const ServeConfig& config) {
        if (!(config.*member)) return Json(nullptr);
        return Json{{"per_s", (config.*member)->per_s}, {"burst", (config.*member)->burst}};
    };
    Setting setting{std::move(name), type, "PER_S[:BURST]", std::move(help), false, std::move(set), std::move(get)};
    setting.null_shown = "none (no rate limit)";
    return setting;
}

Setting model_list(std::string name, std::vector<ModelSetting> ServeConfig::*member, std::string help) {
    auto set = [=](ServeConfig& config, const RawValue& raw) {
        try {
            config.*member = raw.json ? parse_model_list(*raw.json) : parse_model_list_text(raw.text);
        } catch (const ModelListError& e) {
            throw BadValue(e.what(), e.key_path());
        }
    };
    auto get = [=](const ServeConfig& config) { return model_list_json(config.*member); };
    Setting setting{std::move(name),
                    "array of {name, path, engine, precision, streams, threshold, iou_threshold, max_detections, "
                    "nms}; as a flag the same JSON or NAME=PATH[,NAME=PATH...]",
                    "NAME=PATH,...", std::move(help), false, std::move(set), std::move(get)};
    return setting;
}

std::vector<std::string> target_names() {
    std::vector<std::string> names;
    for (const auto target : {engine::Target::cpu, engine::Target::opencl, engine::Target::opencl_fp16})
        names.emplace_back(engine::to_string(target));
    return names;
}

bool is_target(const std::string& name) { return engine::target_from_string(name).has_value(); }

std::vector<std::string> engine_names() {
    std::vector<std::string> names;
    for (const auto kind : {engine::EngineKind::automatic, engine::EngineKind::openvino, engine::EngineKind::opencv})
        names.emplace_back(engine::to_string(kind));
    return names;
}

bool is_engine(const std::string& name) { return engine::engine_kind_from_string(name).has_value(); }

std::vector<std::string> precision_names() {
    std::vector<std::string> names;
    for (const auto precision : {engine::Precision::automatic, engine::Precision::f32, engine::Precision::bf16})
        names.emplace_back(engine::to_string(precision));
    return names;
}

bool is_precision(const std::string& name) { return engine::precision_from_string(name).has_value(); }

bool is_nms_setting(const std::string& name) {
    return name == "model" || detect::nms_mode_from_string(name).has_value();
}

using C = ServeConfig;

const std::vector<Setting>& settings() {
    static const std::vector<Setting> table{
        text("host", &C::host, "HOST", "address to listen on; 0.0.0.0 is every interface, 127.0.0.1 this machine only"),
        integer("port", &C::port, 0, 65535, "TCP port to listen on; 0 picks a free one"),
        integer("max_connections", &C::max_connections, 1, 100'000,
                "open HTTP connections at most (the worker threads grow with them); one more gets 503 and is "
                "closed"),
        integer("max_connections_per_client", &C::max_connections_per_client, 1, 100'000,
                "open connections from one client address at most; one more gets 503 and is closed (behind a "
                "reverse proxy every connection has the proxy's address)"),
        integer("listen_backlog", &C::listen_backlog, 1, 65535,
                "connections the kernel queues before they are accepted (capped by net.core.somaxconn)"),
        integer("request_head_timeout_ms", &C::request_head_timeout_ms, 100, 3'600'000,
                "a request's line and headers must arrive within this many milliseconds of its first byte, "
                "else 408 and the connection is closed"),
        integer("max_header_bytes", &C::max_header_bytes, 1024, 1024 * 1024,
                "largest request line plus headers in bytes; a larger one gets 431 (a request line over 8192 "
                "bytes 414)"),
        integer("keep_alive_max_count", &C::keep_alive_max_count, 1, 1'000'000,
                "requests one keep-alive connection may carry before it is closed"),
        integer("keep_alive_timeout_s", &C::keep_alive_timeout_s, 1, 3600,
                "seconds an idle keep-alive connection stays open"),
        text("model", &C::model, "PATH",
             "model file, OpenVINO IR .xml (beside its .bin) or .onnx; relative to the working directory; served "
             "when models and model_repository are both empty"),
        model_list("models", &C::models,
                   "several models served at once, each with its own pipeline; routes pick one by name, the first "
                   "is the default; an entry's unset keys take the top-level setting (streams: the top-level streams "
                   "split evenly between the models, at least 1 each)"),
        text("model_repository", &C::model_repository, "DIR",
             "directory of models in the OVMS/Triton layout NAME/VERSION/model.xml (or model.onnx), read at "
             "start-up: every NAME is served from its highest numeric VERSION, after the models list; empty: none",
             true),
        choice("engine", &C::engine, engine_names(), is_engine,
               "inference engine; auto is openvino when detserve was built with OpenVINO and the target is cpu, "
               "else opencv"),
        choice("target", &C::target, target_names(), is_target,
               "device of the OpenCV engine; opencl_fp16 is OpenCL in half precision (the OpenVINO engine runs "
               "on its CPU plugin)"),
        choice("precision", &C::precision, precision_names(), is_precision,
               "what the OpenVINO engine computes in (INFERENCE_PRECISION_HINT); auto is the CPU plugin's "
               "choice, bf16 on CPUs with AVX512-BF16 or AMX; the precision used is reported in /v1/models"),
        integer("streams", &C::streams, 1, 64,
                "engine streams, each running one forward at a time (OpenVINO: NUM_STREAMS, one infer request "
                "each; OpenCV: one net each); with several models, a model that sets none gets streams / models "
                "(at least 1)"),
        integer("threads", &C::threads, 1, 256,
                "threads per stream (OpenVINO: INFERENCE_NUM_THREADS is streams x threads; OpenCV: "
                "process-wide, so every stream gets the same)"),
        integer("max_batch", &C::max_batch, 1, 64, "most images in one forward"),
        integer("max_delay_us", &C::max_delay_us, 0, 10'000'000,
                "a batch closes this many microseconds after its first image, or sooner when full"),
        optional_number("threshold", &C::threshold, 0, 1,
                        "minimum score, for requests that give no ?threshold=; null: the model's ModelSpec value"),
        optional_number("iou_threshold", &C::iou_threshold, 0, 1,
                        "NMS: of two boxes that overlap more (IoU; of one class unless nms is agnostic), the "
                        "lower-scored is dropped; null: the model's ModelSpec value"),
        optional_integer("max_detections", &C::max_detections, 1, 10000,
                         "most boxes per image, for requests that give no ?max_detections=; "
                         "null: the model's ModelSpec value"),
        choice("nms", &C::nms, {"model", "class_wise", "agnostic"}, is_nms_setting,
               "NMS: class_wise drops a box overlapping a better one of its class, agnostic one of any class "
               "(one label per object); model: the model's ModelSpec value"),
        integer("max_in_flight", &C::max_in_flight, 1, 1'000'000,
                "images admitted and not yet answered; beyond it a request gets 503 with Retry-After"),
        integer("request_timeout_ms", &C::request_timeout_ms, 1, 3'600'000,
                "per-request deadline in milliseconds; past it the answer is 504"),
        integer("max_body_bytes", &C::max_body_bytes, 1, kMaxBodyBytesLimit,
                "largest request body in bytes, whatever its framing (after inflating, if compressed); a larger "
                "one gets 413 and the connection is closed"),
        boolean("allow_compressed_bodies", &C::allow_compressed_bodies,
                "accept request bodies with Content-Encoding gzip, deflate or br; otherwise they get 415"),
        integer("max_pixels", &C::max_pixels, 1, kOpenCvMaxImagePixels,
                "largest width x height an image header may declare; a larger one gets 413 before decoding"),
        integer("max_images_per_request", &C::max_images_per_request, 1, 1024,
                "most image fields in one multipart request"),
        integer("shutdown_timeout_ms", &C::shutdown_timeout_ms, 0, 3'600'000,
                "on SIGTERM, milliseconds to wait for in-flight requests before exiting"),
        boolean("access_log", &C::access_log, "one line per request on stderr"),
        text("web_root", &C::web_root, "DIR",
             "directory of the web page served at GET / (relative to the working directory)"),
        text("cors_allowed_origins", &C::cors_allowed_origins, "ORIGINS",
             "comma-separated origins allowed to call the API from a browser, or *; empty: no CORS headers",
             true),
        text("cors_allowed_methods", &C::cors_allowed_methods, "METHODS", "methods a CORS preflight allows"),
        text("cors_allowed_headers", &C::cors_allowed_headers, "HEADERS", "request headers a CORS preflight allows"),
        key_list("api_keys", &C::api_keys,
                 "comma-separated API keys; when any is set (here or in api_keys_file), every route but health, "
                 "readiness, /openapi.json and the web page's files needs 'Authorization: Bearer KEY'"),
        text("api_keys_file", &C::api_keys_file, "FILE",
             "file of API keys, one per line (# comments), read at start-up; added to api_keys", true),
        boolean("metrics_public", &C::metrics_public, "GET /metrics needs no API key"),
        rate_limit("rate_limit", &C::rate_limit,
                   "token bucket per API key (per client address without keys) on the routes that need a key: "
                   "burst requests at once, then per_s a second; beyond it 429 with Retry-After; burst defaults "
                   "to per_s rounded up"),
    };
    return table;
}

const Setting* find_setting(std::string_view name) {
    for (const auto& setting : settings())
        if (setting.name == name) return &setting;
    return nullptr;
}

std::string replace_all(std::string text, char from, char to) {
    std::replace(text.begin(), text.end(), from, to);
    return text;
}

std::string flag_name(const Setting& setting) { return "--" + replace_all(setting.name, '_', '-'); }

std::string env_name(const Setting& setting) {
    std::string name(kEnvPrefix);
    for (const char c : setting.name) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

// Optimal string alignment distance: edits, where swapping two neighbours counts as one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

// The closest of `names` to a misspelled `name`, if it is close enough to be a typo.
std::optional<std::string> closest(std::string_view name, const std::vector<std::string>& names) {
    std::optional<std::string> best;
    std::size_t best_distance = std::max<std::size_t>(1, name.size() / 3) + 1;
    for (const auto& candidate : names) {
        const std::size_t distance = edit_distance(name, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

std::vector<std::string> setting_names() {
    std::vector<std::string> names;
    for (const auto& setting : settings()) names.push_back(setting.name);
    return names;
}

void apply(const Setting& setting, ServeConfig& config, const RawValue& raw, const std::string& where) {
    try {
        setting.set(config, raw);
    } catch (const BadValue& e) {
        throw ConfigError(where + e.key_path() + ": " + e.what());
    }
}

Json read_json_file(const std::string& path, const std::string& named_by) {
    if (std::filesystem::is_directory(path)) throw ConfigError(path + ": is a directory, not a config file" + named_by);
    std::ifstream in(path);
    if (!in) throw ConfigError(path + ": cannot open the config file: " + std::strerror(errno) + named_by);
    try {
        return Json::parse(in);
    } catch (const Json::parse_error& e) {
        throw ConfigError(path + ": not valid JSON: " + e.what() + named_by);
    }
}

void apply_file(ServeConfig& config, const std::string& path, const std::string& named_by) {
    const Json root = read_json_file(path, named_by);
    if (!root.is_object())
        throw ConfigError(path + ": the config must be a JSON object of settings, got " +
                          std::string(root.type_name()));
    for (const auto& [key, value] : root.items()) {
        const Setting* setting = find_setting(key);
        if (!setting) {
            const auto suggestion = closest(key, setting_names());
            throw ConfigError(path + ": unknown key $." + key +
                              (suggestion ? " (did you mean " + *suggestion + "?)" : ""));
        }
        apply(*setting, config, RawValue{&value, {}}, path + ": $." + key);
    }
}

// An empty variable counts as unset, as `DETSERVE_PORT= detserve serve` usually means.
const char* non_empty(const char* value) { return value && *value ? value : nullptr; }

void apply_environment(ServeConfig& config, const std::function<const char*(const char*)>& getenv) {
    for (const auto& setting : settings()) {
        const std::string name = env_name(setting);
        if (const char* value = non_empty(getenv(name.c_str()))) apply(setting, config, RawValue{nullptr, value}, name);
    }
}

struct Flag {
    std::string spelled;  // as given, e.g. "--max-batch", for messages
    std::string value;
    const Setting* setting;
};

struct Arguments {
    std::optional<std::string> config_file;
    std::vector<Flag> flags;
};

bool is_option(const std::string& arg) { return arg.rfind("--", 0) == 0; }

std::string unknown_option(const std::string& spelled) {
    const std::string key = replace_all(spelled.substr(2), '-', '_');
    std::vector<std::string> names = setting_names();
    names.insert(names.end(), {"config", "help"});
    const auto suggestion = closest(key, names);
    if (!suggestion) return "unknown option " + spelled;
    // Suggest in the spelling the user chose.
    const bool dashes = spelled.substr(2).find('_') == std::string::npos;
    return "unknown option " + spelled + " (did you mean --" +
           (dashes ? replace_all(*suggestion, '_', '-') : *suggestion) + "?)";
}

Arguments parse_arguments(const std::vector<std::string>& args) {
    for (const auto& arg : args)
        if (arg == "--help" || arg == "-h") throw HelpRequested();
    Arguments out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (!is_option(arg)) throw ConfigError("unexpected argument '" + arg + "' (serve takes only --options)");
        const auto eq = arg.find('=');
        const std::string spelled = arg.substr(0, eq);
        const std::string key = replace_all(spelled.substr(2), '-', '_');
        const Setting* setting = find_setting(key);
        if (!setting && key != "config") throw ConfigError(unknown_option(spelled));
        std::string value;
        if (eq != std::string::npos)
            value = arg.substr(eq + 1);
        else if (i + 1 < args.size() && !is_option(args[i + 1]))
            value = args[++i];
        else if (setting && setting->is_boolean)
            value = "true";
        else
            throw ConfigError(spelled + ": needs a value");
        if (setting)
            out.flags.push_back({spelled, value, setting});
        else if (value.empty())
            throw ConfigError(spelled + ": expected a file path, got ''");
        else
            out.config_file = value;
    }
    return out;
}

std::string shown_default(const Json& value, const std::string& null_shown) {
    if (value.is_null()) return null_shown;
    return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

ServeConfig load_serve_config(const std::vector<std::string>& args,
                              const std::function<const char*(const char*)>& getenv) {
    const Arguments arguments = parse_arguments(args);
    ServeConfig config;
    if (arguments.config_file)
        apply_file(config, *arguments.config_file, "");
    else if (const char* path = non_empty(getenv(kConfigEnv)))
        apply_file(config, path, std::string(" (named by ") + kConfigEnv + ")");
    apply_environment(config, getenv);
    for (const auto& flag : arguments.flags) apply(*flag.setting, config, RawValue{nullptr, flag.value}, flag.spelled);
    return config;
}

nlohmann::ordered_json to_json(const ServeConfig& config) {
    Json out = Json::object();
    for (const auto& setting : settings()) out[setting.name] = setting.get(config);
    return out;
}

std::string serve_usage() {
    const ServeConfig defaults;
    std::string out =
        "usage: detserve serve [--config FILE] [--KEY VALUE]...\n"
        "\n"
        "Serves object detection over HTTP. Every setting below is a key of the JSON config file, a\n"
        "flag (--max-batch 8, --max_batch 8 or --max-batch=8) and an environment variable\n"
        "(DETSERVE_MAX_BATCH=8). Later sources win: built-in defaults (config/default.json), the\n"
        "config file, the environment, the flags. null (--threshold null) sets an optional back to\n"
        "the model's default. Booleans take true, false, 1 or 0; a boolean flag alone means true. An\n"
        "empty environment variable counts as unset.\n"
        "\n"
        "  --config FILE\n"
        "      JSON config file; default $DETSERVE_CONFIG, else none\n";
    for (const auto& setting : settings()) {
        out += "  " + flag_name(setting) + " " + setting.metavar + "\n";
        out += "      " + setting.help + "\n";
        out += "      " + setting.type + "; default " + shown_default(setting.get(defaults), setting.null_shown) +
               "; env " + env_name(setting) + "\n";
    }
    out += "  --help\n      this text\n";
    return out;
}

std::string serve_settings_markdown() {
    const ServeConfig defaults;
    std::string out =
        "| key | type | default | flag | environment | meaning |\n"
        "|---|---|---|---|---|---|\n";
    for (const auto& setting : settings()) {
        out += "| `" + setting.name + "` | " + setting.type + " | `" + setting.get(defaults).dump() + "` | `" +
               flag_name(setting) + "` | `" + env_name(setting) + "` | " + setting.help + " |\n";
    }
    return out;
}

}  // namespace detserve::app
