#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "detserve/app/serve_config.hpp"

using namespace detserve::app;
using Json = nlohmann::ordered_json;

namespace {

using Environment = std::map<std::string, std::string>;

std::function<const char*(const char*)> fake_env(const Environment& env) {
    return [&env](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
    };
}

ServeConfig load(const std::vector<std::string>& args, const Environment& env = {}) {
    return load_serve_config(args, fake_env(env));
}

// The message of the ConfigError that loading throws, or "" when it loads.
std::string error_of(const std::vector<std::string>& args, const Environment& env = {}) {
    try {
        load(args, env);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

// A file in a fresh directory that is removed with the object.
class TempFile {
public:
    explicit TempFile(const std::string& content, const std::string& name = "config.json") {
        static std::atomic<int> counter{0};
        dir_ = std::filesystem::temp_directory_path() /
               ("detserve_serve_config_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::create_directories(dir_);
        path_ = (dir_ / name).string();
        std::ofstream(path_) << content;
    }
    ~TempFile() { std::filesystem::remove_all(dir_); }
    const std::string& path() const { return path_; }

private:
    std::filesystem::path dir_;
    std::string path_;
};

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string dashed(std::string key) {
    for (char& c : key) c = c == '_' ? '-' : c;
    return key;
}

std::string env_name(const std::string& key) {
    std::string name = "DETSERVE_";
    for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

// A value for every key that differs from its default, as the config file would hold it.
const Json& non_default_settings() {
    static const Json settings{{"host", "127.0.0.1"},
                               {"port", 0},
                               {"max_connections", 64},
                               {"max_connections_per_client", 16},
                               {"listen_backlog", 128},
                               {"request_head_timeout_ms", 2500},
                               {"max_header_bytes", 8192},
                               {"keep_alive_max_count", 1000},
                               {"keep_alive_timeout_s", 30},
                               {"model", "models/yolo/yolov8n.onnx"},
                               {"models",
                                Json::array({{{"name", "people"}, {"path", "models/a.xml"}},
                                             {{"name", "cars"},
                                              {"path", "models/b.onnx"},
                                              {"engine", "opencv"},
                                              {"precision", "f32"},
                                              {"streams", 1},
                                              {"threshold", 0.5},
                                              {"iou_threshold", 0.4},
                                              {"max_detections", 20},
                                              {"nms", "agnostic"}}})},
                               {"model_repository", "/srv/models"},
                               {"engine", "opencv"},
                               {"target", "opencl_fp16"},
                               {"precision", "bf16"},
                               {"streams", 1},
                               {"threads", 2},
                               {"max_batch", 8},
                               {"max_delay_us", 0},
                               {"threshold", 0.25},
                               {"iou_threshold", 0.5},
                               {"max_detections", 10},
                               {"nms", "agnostic"},
                               {"max_in_flight", 64},
                               {"request_timeout_ms", 1500},
                               {"max_body_bytes", 1048576},
                               {"allow_compressed_bodies", true},
                               {"max_pixels", 1000000},
                               {"max_images_per_request", 2},
                               {"shutdown_timeout_ms", 0},
                               {"access_log", true},
                               {"web_root", "/srv/detserve/web"},
                               {"cors_allowed_origins", "https://a.example, https://b.example"},
                               {"cors_allowed_methods", "GET, POST"},
                               {"cors_allowed_headers", "Content-Type"},
                               {"api_keys", "key-one, key-two"},
                               {"api_keys_file", "/etc/detserve/api-keys"},
                               {"metrics_public", true},
                               {"rate_limit", {{"per_s", 2.5}, {"burst", 4}}}};
    return settings;
}

std::vector<std::string> keys(const Json& object) {
    std::vector<std::string> out;
    for (const auto& [key, value] : object.items()) out.push_back(key);
    return out;
}

// As a flag or an environment variable gives it.
std::string as_text(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

}  // namespace

TEST(ServeConfig, DefaultJsonFileIsExactlyTheCompiledInDefaults) {
    const std::string path = DETSERVE_SOURCE_DIR "/config/default.json";
    EXPECT_EQ(read_text(path), to_json(ServeConfig{}).dump(2) + "\n")
        << path << " has drifted from ServeConfig's defaults; regenerate it from to_json(ServeConfig{}).dump(2)";
}

TEST(ServeConfig, DefaultsListenOnEveryInterfaceAndServeNanodet) {
    const ServeConfig config = load({});
    EXPECT_EQ(config.host, "0.0.0.0");
    EXPECT_EQ(config.port, 8080);
    EXPECT_EQ(config.model, "models/nanodet/nanodet.xml");
    EXPECT_EQ(config.engine, "auto");
    EXPECT_EQ(config.target, "cpu");
    EXPECT_EQ(config.precision, "auto");
    EXPECT_FALSE(config.threshold);
    EXPECT_EQ(to_json(config), to_json(ServeConfig{}));
}

TEST(ServeConfig, ToJsonHasEveryKeyWithNullForUnsetOptionals) {
    const Json json = to_json(ServeConfig{});
    EXPECT_EQ(json.size(), non_default_settings().size());
    EXPECT_EQ(keys(json), keys(non_default_settings()));
    EXPECT_TRUE(json.at("threshold").is_null());
    EXPECT_TRUE(json.at("iou_threshold").is_null());
    EXPECT_TRUE(json.at("max_detections").is_null());
}

TEST(ServeConfig, EveryKeyCanBeSetInTheConfigFile) {
    const TempFile file(non_default_settings().dump(2));
    EXPECT_EQ(to_json(load({"--config", file.path()})), non_default_settings());
}

TEST(ServeConfig, EveryKeyCanBeSetByEnvironment) {
    Environment env;
    for (const auto& [key, value] : non_default_settings().items()) env[env_name(key)] = as_text(value);
    EXPECT_EQ(to_json(load({}, env)), non_default_settings());
}

TEST(ServeConfig, EveryKeyCanBeSetByFlag) {
    std::vector<std::string> args;
    for (const auto& [key, value] : non_default_settings().items()) {
        args.push_back("--" + dashed(key));
        args.push_back(as_text(value));
    }
    EXPECT_EQ(to_json(load(args)), non_default_settings());
}

TEST(ServeConfig, FileThenEnvironmentThenFlags) {
    const TempFile file(R"({"port": 1000, "streams": 3, "max_batch": 5})");
    const Environment env{{"DETSERVE_PORT", "2000"}, {"DETSERVE_STREAMS", "4"}};
    const ServeConfig config = load({"--config", file.path(), "--port", "3000"}, env);
    EXPECT_EQ(config.port, 3000);    // flag over environment over file
    EXPECT_EQ(config.streams, 4);    // environment over file
    EXPECT_EQ(config.max_batch, 5);  // file over default
}

TEST(ServeConfig, ConfigFileCanBeNamedByEnvironmentButTheFlagWins) {
    const TempFile from_env(R"({"port": 1000})"), from_flag(R"({"port": 2000})");
    EXPECT_EQ(load({}, {{"DETSERVE_CONFIG", from_env.path()}}).port, 1000);
    EXPECT_EQ(load({"--config", from_flag.path()}, {{"DETSERVE_CONFIG", from_env.path()}}).port, 2000);
    EXPECT_EQ(load({"--config=" + from_flag.path()}).port, 2000);
}

TEST(ServeConfig, FlagsTakeBothSpellingsAndBothForms) {
    EXPECT_EQ(load({"--max-batch", "8"}).max_batch, 8);
    EXPECT_EQ(load({"--max_batch", "9"}).max_batch, 9);
    EXPECT_EQ(load({"--max-batch=10"}).max_batch, 10);
    EXPECT_EQ(load({"--max_batch=11"}).max_batch, 11);
    EXPECT_EQ(load({"--max-batch", "8", "--max_batch=12"}).max_batch, 12);  // the last one wins
}

TEST(ServeConfig, BooleansTakeTrueFalseOneZero) {
    EXPECT_TRUE(load({"--access-log", "true"}).access_log);
    EXPECT_TRUE(load({"--access-log=1"}).access_log);
    EXPECT_FALSE(load({"--access-log", "0"}, {{"DETSERVE_ACCESS_LOG", "1"}}).access_log);
    EXPECT_FALSE(load({"--access-log=false"}).access_log);
    EXPECT_TRUE(load({}, {{"DETSERVE_ACCESS_LOG", "true"}}).access_log);
    // Standing alone, a boolean flag means true.
    EXPECT_TRUE(load({"--access-log"}).access_log);
    EXPECT_TRUE(load({"--access-log", "--port", "1"}).access_log);
    EXPECT_EQ(error_of({"--access-log", "yes"}), "--access-log: expected true, false, 1 or 0, got 'yes'");
}

TEST(ServeConfig, OptionalsCanBeSetAndResetToNull) {
    const TempFile sets(R"({"threshold": 0.5, "iou_threshold": 0.4, "max_detections": 20})");
    const ServeConfig set = load({"--config", sets.path()});
    EXPECT_EQ(set.threshold, 0.5);
    EXPECT_EQ(set.iou_threshold, 0.4);
    EXPECT_EQ(set.max_detections, 20);

    const TempFile resets(R"({"threshold": null, "max_detections": null})");
    EXPECT_FALSE(load({"--config", resets.path()}).threshold);
    // A null in the file is overridden by the environment, and "null" in a flag resets again.
    EXPECT_EQ(load({"--config", resets.path()}, {{"DETSERVE_THRESHOLD", "0.3"}}).threshold, 0.3);
    const ServeConfig reset = load({"--threshold", "null", "--max-detections=null"},
                                   {{"DETSERVE_THRESHOLD", "0.3"}, {"DETSERVE_MAX_DETECTIONS", "5"}});
    EXPECT_FALSE(reset.threshold);
    EXPECT_FALSE(reset.max_detections);
    EXPECT_EQ(load({"--threshold", "1"}).threshold, 1.0);
}

TEST(ServeConfig, TargetsAreTheEnginesNames) {
    for (const char* target : {"cpu", "opencl", "opencl_fp16"}) EXPECT_EQ(load({"--target", target}).target, target);
}

TEST(ServeConfig, BadFileValueNamesFileAndKeyPath) {
    const TempFile file(R"({"max_batch": "x"})");
    EXPECT_EQ(error_of({"--config", file.path()}),
              file.path() + R"(: $.max_batch: expected an integer in [1, 64], got "x")");
}

TEST(ServeConfig, BadFlagValueNamesTheFlag) {
    EXPECT_EQ(error_of({"--port", "70000"}), "--port: expected an integer in [0, 65535], got '70000'");
    EXPECT_EQ(error_of({"--max_batch=0"}), "--max_batch: expected an integer in [1, 64], got '0'");
    EXPECT_EQ(error_of({"--threshold", "1.5"}), "--threshold: expected a number in [0, 1] or null, got '1.5'");
    EXPECT_EQ(error_of({"--model", ""}), "--model: expected a non-empty string, got ''");
}

TEST(ServeConfig, BadEnvironmentValueNamesTheVariable) {
    EXPECT_EQ(error_of({}, {{"DETSERVE_TARGET", "gpu"}}),
              "DETSERVE_TARGET: unknown target 'gpu' (cpu, opencl, opencl_fp16)");
    EXPECT_EQ(error_of({}, {{"DETSERVE_ENGINE", "onnxruntime"}}),
              "DETSERVE_ENGINE: unknown engine 'onnxruntime' (auto, openvino, opencv)");
    EXPECT_EQ(error_of({}, {{"DETSERVE_PRECISION", "fp16"}}),
              "DETSERVE_PRECISION: unknown precision 'fp16' (auto, f32, bf16)");
    EXPECT_EQ(error_of({}, {{"DETSERVE_MAX_BATCH", "four"}}),
              "DETSERVE_MAX_BATCH: expected an integer in [1, 64], got 'four'");
}

TEST(ServeConfig, UnknownEnvironmentVariablesAndEmptyOnesAreIgnored) {
    const Environment env{
        {"DETSERVE_CACHE_DIR", "/tmp/cache"}, {"DETSERVE_SAMPLES_DIR", "/tmp/s"}, {"DETSERVE_PORT", ""}};
    EXPECT_EQ(load({}, env).port, 8080);
}

TEST(ServeConfig, UnknownFileKeySuggestsTheClosestKey) {
    const TempFile typo(R"({"max_btach": 4})", "my.json");
    EXPECT_EQ(error_of({"--config", typo.path()}), typo.path() + ": unknown key $.max_btach (did you mean max_batch?)");
    const TempFile dashed_key(R"({"max-batch": 4})", "my.json");
    EXPECT_EQ(error_of({"--config", dashed_key.path()}),
              dashed_key.path() + ": unknown key $.max-batch (did you mean max_batch?)");
    const TempFile far(R"({"colour": "red"})", "my.json");
    EXPECT_EQ(error_of({"--config", far.path()}), far.path() + ": unknown key $.colour");
}

TEST(ServeConfig, UnknownFlagSuggestsInTheSameSpelling) {
    EXPECT_EQ(error_of({"--max-btach", "4"}), "unknown option --max-btach (did you mean --max-batch?)");
    EXPECT_EQ(error_of({"--max_btach=4"}), "unknown option --max_btach (did you mean --max_batch?)");
    EXPECT_EQ(error_of({"--prot", "80"}), "unknown option --prot (did you mean --port?)");
    EXPECT_EQ(error_of({"--colour", "red"}), "unknown option --colour");
}

TEST(ServeConfig, MalformedArgumentsAreRefused) {
    EXPECT_EQ(error_of({"--port"}), "--port: needs a value");
    EXPECT_EQ(error_of({"--model", "--port", "1"}), "--model: needs a value");
    EXPECT_EQ(error_of({"--config", ""}), "--config: expected a file path, got ''");
    EXPECT_EQ(error_of({"model.xml"}), "unexpected argument 'model.xml' (serve takes only --options)");
}

TEST(ServeConfig, InvalidJsonNamesTheFileAndTheParserMessage) {
    const TempFile file("{\"port\": 80,\n}");
    const std::string message = error_of({"--config", file.path()});
    EXPECT_EQ(message.rfind(file.path() + ": not valid JSON: ", 0), 0u) << message;
    EXPECT_NE(message.find("parse error at line 2"), std::string::npos) << message;
}

TEST(ServeConfig, UnreadableFileNamesItAndWhoNamedIt) {
    const std::string missing = "/nonexistent/detserve.json";
    EXPECT_EQ(error_of({"--config", missing}), missing + ": cannot open the config file: No such file or directory");
    EXPECT_EQ(error_of({}, {{"DETSERVE_CONFIG", missing}}),
              missing + ": cannot open the config file: No such file or directory (named by DETSERVE_CONFIG)");
    const TempFile file("{}");
    const std::string dir = std::filesystem::path(file.path()).parent_path().string();
    EXPECT_EQ(error_of({"--config", dir}), dir + ": is a directory, not a config file");
}

TEST(ServeConfig, ConfigRootMustBeAnObject) {
    const TempFile file("[1, 2]");
    EXPECT_EQ(error_of({"--config", file.path()}),
              file.path() + ": the config must be a JSON object of settings, got array");
}

TEST(ServeConfig, WrongTypesFractionsNegativesAndOutOfRangeFail) {
    for (const char* bad : {"1.5", "-1", "0", "65", "\"4\"", "true", "null", "[4]", "4.0", "1e1"}) {
        const TempFile file(std::string(R"({"max_batch": )") + bad + "}");
        EXPECT_EQ(error_of({"--config", file.path()}),
                  file.path() + ": $.max_batch: expected an integer in [1, 64], got " + Json::parse(bad).dump())
            << bad;
    }
    for (const char* bad : {"1.5", "-1", "", " 4", "4x", "+4", "0x4", "99999999999999999999", "null"})
        EXPECT_EQ(error_of({"--max-batch", bad}),
                  std::string("--max-batch: expected an integer in [1, 64], got '") + bad + "'")
            << bad;
    for (const char* bad : {"-0.1", "nan", "inf", "x", "0.5.1"})
        EXPECT_EQ(error_of({}, {{"DETSERVE_IOU_THRESHOLD", bad}}),
                  std::string("DETSERVE_IOU_THRESHOLD: expected a number in [0, 1] or null, got '") + bad + "'")
            << bad;
    const TempFile wrong_types(R"({"access_log": 1})");
    EXPECT_EQ(error_of({"--config", wrong_types.path()}),
              wrong_types.path() + ": $.access_log: expected true or false, got 1");
    const TempFile number_host(R"({"host": 8080})");
    EXPECT_EQ(error_of({"--config", number_host.path()}),
              number_host.path() + ": $.host: expected a non-empty string, got 8080");
    const TempFile number_target(R"({"target": 1})");
    EXPECT_EQ(error_of({"--config", number_target.path()}),
              number_target.path() + ": $.target: expected one of cpu, opencl, opencl_fp16, got 1");
    const TempFile huge(R"({"max_body_bytes": 18446744073709551615})");
    EXPECT_NE(error_of({"--config", huge.path()}).find("$.max_body_bytes: expected an integer in [1, "),
              std::string::npos);
}

TEST(ServeConfig, LargeIntegersFitTheirSixtyFourBitSettings) {
    EXPECT_EQ(load({"--max-body-bytes", "4294967296"}).max_body_bytes, std::int64_t{4} << 30);
    EXPECT_EQ(error_of({"--max-body-bytes", "4294967297"}),
              "--max-body-bytes: expected an integer in [1, 4294967296], got '4294967297'");
}

TEST(ServeConfig, HelpIsReportedWhateverElseTheArgumentsHold) {
    EXPECT_THROW(load({"--help"}), HelpRequested);
    EXPECT_THROW(load({"--port", "x", "-h"}), HelpRequested);
}

TEST(ServeConfig, UsageListsEveryKeyFlagAndVariable) {
    const std::string usage = serve_usage();
    EXPECT_NE(usage.find("--config FILE"), std::string::npos);
    for (const auto& key : keys(to_json(ServeConfig{}))) {
        EXPECT_NE(usage.find("--" + dashed(key) + " "), std::string::npos) << key;
        EXPECT_NE(usage.find(env_name(key) + "\n"), std::string::npos) << key;
    }
}

TEST(ServeConfig, DocsHoldTheGeneratedSettingsTable) {
    const std::string path = DETSERVE_SOURCE_DIR "/docs/configuration.md";
    const std::string table = serve_settings_markdown();
    for (const auto& key : keys(to_json(ServeConfig{})))
        EXPECT_NE(table.find("| `" + key + "` |"), std::string::npos) << key;
    EXPECT_NE(read_text(path).find(table), std::string::npos)
        << path << " does not hold the current settings table; replace it with:\n"
        << table;
}

TEST(ServeConfig, RateLimitIsAnObjectOrPerSecondColonBurst) {
    EXPECT_FALSE(load({}).rate_limit);
    const TempFile file(R"({"rate_limit": {"per_s": 5, "burst": 10}})");
    EXPECT_EQ(load({"--config", file.path()}).rate_limit, (RateLimitSetting{5, 10}));
    EXPECT_EQ(load({"--rate-limit", "5:10"}).rate_limit, (RateLimitSetting{5, 10}));
    EXPECT_EQ(load({}, {{"DETSERVE_RATE_LIMIT", "0.5:3"}}).rate_limit, (RateLimitSetting{0.5, 3}));
    // Without a burst: per_s rounded up, at least 1.
    EXPECT_EQ(load({"--rate-limit", "2.5"}).rate_limit, (RateLimitSetting{2.5, 3}));
    EXPECT_EQ(load({"--rate-limit", "0.2"}).rate_limit, (RateLimitSetting{0.2, 1}));
    const TempFile no_burst(R"({"rate_limit": {"per_s": 4}})");
    EXPECT_EQ(load({"--config", no_burst.path()}).rate_limit, (RateLimitSetting{4, 4}));
    const TempFile off(R"({"rate_limit": {"per_s": 4}})");
    EXPECT_FALSE(load({"--config", off.path(), "--rate-limit", "null"}).rate_limit);
    EXPECT_EQ(to_json(load({"--rate-limit", "5:10"})).at("rate_limit"), Json::parse(R"({"per_s": 5, "burst": 10})"));
}

TEST(ServeConfig, BadRateLimitsNameTheSource) {
    const std::string expected =
        "expected {\"per_s\": X, \"burst\": N} or PER_S[:BURST] with per_s in [0.001, 1000000] and burst in "
        "[1, 1000000], or null, got ";
    for (const char* bad : {"0", "-1", "x", "5:", "5:0", "5:1.5", ":5", "5:10:1", "nan", "0.0001", "{\"per_s\": 1"})
        EXPECT_EQ(error_of({"--rate-limit", bad}), "--rate-limit: " + expected + "'" + bad + "'") << bad;
    for (const char* bad : {R"(5)", R"("5:10")", R"({"burst": 2})", R"({"per_s": "5"})", R"({"per_s": 5, "burst": 0})",
                            R"({"per_s": 5, "bust": 2})", R"([5, 10])"}) {
        const TempFile file(std::string(R"({"rate_limit": )") + bad + "}");
        EXPECT_EQ(error_of({"--config", file.path()}),
                  file.path() + ": $.rate_limit: " + expected + Json::parse(bad).dump())
            << bad;
    }
}

TEST(ServeConfig, BadApiKeysAreNamedByPositionNeverShown) {
    EXPECT_EQ(load({"--api-keys", " a1 ,, b2 "}).api_keys, " a1 ,, b2 ");
    const std::string message = error_of({}, {{"DETSERVE_API_KEYS", "good-key, bad key-secret"}});
    EXPECT_EQ(message.rfind("DETSERVE_API_KEYS: key 2 holds a space", 0), 0u) << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
    const TempFile file(R"({"api_keys": ["secret-in-an-array"]})");
    const std::string not_string = error_of({"--config", file.path()});
    EXPECT_EQ(not_string, file.path() + ": $.api_keys: expected a string of comma-separated keys (the value is not shown)");
    EXPECT_NE(error_of({"--api-keys", std::string(257, 'k')}).find("key 1 is longer than 256 bytes"), std::string::npos);
}

TEST(ServeConfig, ModelsListTakesEachModelsOwnSettings) {
    const TempFile file(R"({"models": [{"name": "people", "path": "a.xml"},
                                       {"name": "cars", "path": "b.onnx", "streams": 1, "threshold": 0.5,
                                        "engine": "opencv", "nms": "agnostic", "max_detections": null}]})");
    const auto config = load({"--config", file.path()});
    ASSERT_EQ(config.models.size(), 2u);
    EXPECT_EQ(config.models[0].name, "people");
    EXPECT_EQ(config.models[0].path, "a.xml");
    EXPECT_FALSE(config.models[0].streams.has_value());
    EXPECT_EQ(config.models[1].streams, 1);
    EXPECT_EQ(config.models[1].threshold, 0.5);
    EXPECT_EQ(config.models[1].engine, "opencv");
    EXPECT_EQ(config.models[1].nms, "agnostic");
    EXPECT_FALSE(config.models[1].max_detections.has_value()) << "null: the top-level setting";
}

TEST(ServeConfig, ModelsFlagAndEnvironmentTakeNameEqualsPathOrJson) {
    const auto from_flag = load({"--models", "people=models/a.xml,cars=models/b.onnx"});
    ASSERT_EQ(from_flag.models.size(), 2u);
    EXPECT_EQ(from_flag.models[1].name, "cars");
    EXPECT_EQ(from_flag.models[1].path, "models/b.onnx");
    const auto from_env = load({}, {{"DETSERVE_MODELS", R"([{"name": "people", "path": "a.xml", "streams": 2}])"}});
    ASSERT_EQ(from_env.models.size(), 1u);
    EXPECT_EQ(from_env.models[0].streams, 2);
    EXPECT_TRUE(load({"--models", "null"}).models.empty());
}

TEST(ServeConfig, BadModelEntriesNameTheirPathInTheList) {
    const TempFile streams(R"({"models": [{"name": "a", "path": "a.xml"}, {"name": "b", "path": "b.xml", "streams": 0}]})");
    EXPECT_EQ(error_of({"--config", streams.path()}),
              streams.path() + ": $.models[1].streams: expected an integer in [1, 64], got 0");
    const TempFile unknown(R"({"models": [{"name": "a", "path": "a.xml", "stream": 2}]})");
    EXPECT_EQ(error_of({"--config", unknown.path()}),
              unknown.path() +
                  ": $.models[0].stream: unknown key (a model takes name, path, engine, precision, streams, "
                  "threshold, iou_threshold, max_detections, nms)");
    const TempFile duplicate(R"({"models": [{"name": "a", "path": "a.xml"}, {"name": "a", "path": "b.xml"}]})");
    EXPECT_EQ(error_of({"--config", duplicate.path()}),
              duplicate.path() + ": $.models[1].name: duplicate name 'a' (models[0] has it; names must be unique)");
    const TempFile missing(R"({"models": [{"name": "a"}]})");
    EXPECT_EQ(error_of({"--config", missing.path()}),
              missing.path() + ": $.models[0].path: missing: every model needs a path");
    const TempFile not_a_list(R"({"models": {"name": "a"}})");
    EXPECT_NE(error_of({"--config", not_a_list.path()}).find(": $.models: expected an array"), std::string::npos);
    EXPECT_EQ(error_of({"--models", "a/b=x.xml"}),
              "--models[0].name: expected letters, digits, '.', '_' or '-' (a URL path segment), got \"a/b\"");
    EXPECT_EQ(error_of({"--models", "a=x.xml,b"}), "--models[1]: expected NAME=PATH, got 'b'");
    EXPECT_EQ(error_of({}, {{"DETSERVE_MODELS", R"([{"name": "a", "path": "x.xml", "engine": "tpu"}])"}}),
              "DETSERVE_MODELS[0].engine: unknown engine \"tpu\" (auto, openvino, opencv)");
}
