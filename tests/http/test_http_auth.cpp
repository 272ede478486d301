// API keys and rate limits over real HTTP: 401 in each family's shape without or with a wrong key,
// the right key in the header or DeepStack's api_key field, the open routes, /metrics, keys from
// the environment and from a file, keys kept out of the access log, 429 with Retry-After.
#include <sys/wait.h>

#include <map>

#include "server_process.hpp"

namespace detserve::test {
namespace {

const fs::path kWebRoot = fs::path(DETSERVE_SOURCE_DIR) / "web";
constexpr const char* kKeyA = "alpha-key-1f9c";
constexpr const char* kKeyB = "beta-key-77d2";

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

// A multipart form with one harmless field, for the DeepStack routes that read no image.
httplib::MultipartFormDataItems a_form_field() { return {{"min_confidence", "0.5", "", ""}}; }

httplib::MultipartFormDataItems deepstack_form(const std::string& image, const std::string& api_key = "") {
    httplib::MultipartFormDataItems items{{"image", image, "dog.jpg", "image/jpeg"}};
    if (!api_key.empty()) items.push_back({"api_key", api_key, "", ""});
    return items;
}

// Each protected route by family, as a client would call it with `headers`.
struct Call {
    std::string name;
    std::function<httplib::Result(httplib::Client&, const httplib::Headers&)> send;
    std::string family;  // "native", "deepstack", "kserve"
};

std::vector<Call> protected_calls(const std::string& dog) {
    return {
        {"POST /v1/detect", [dog](auto& c, const auto& h) { return c.Post("/v1/detect", h, dog, "image/jpeg"); },
         "native"},
        {"GET /v1/models", [](auto& c, const auto& h) { return c.Get("/v1/models", h); }, "native"},
        {"GET /metrics", [](auto& c, const auto& h) { return c.Get("/metrics", h); }, "native"},
        {"POST /v1/vision/detection",
         [dog](auto& c, const auto& h) { return c.Post("/v1/vision/detection", h, deepstack_form(dog)); }, "deepstack"},
        {"POST /v1/vision/custom/list",
         [](auto& c, const auto& h) { return c.Post("/v1/vision/custom/list", h, a_form_field()); },
         "deepstack"},
        {"GET /v2", [](auto& c, const auto& h) { return c.Get("/v2", h); }, "kserve"},
        {"GET /v2/models/nanodet", [](auto& c, const auto& h) { return c.Get("/v2/models/nanodet", h); }, "kserve"},
        {"POST /v2/models/nanodet/infer",
         [](auto& c, const auto& h) { return c.Post("/v2/models/nanodet/infer", h, "{}", "application/json"); },
         "kserve"},
    };
}

// The 401 answer in `family`'s error shape, with WWW-Authenticate: Bearer.
void expect_unauthorized(const httplib::Result& result, const std::string& family, const std::string& name) {
    ASSERT_TRUE(result) << name;
    EXPECT_EQ(result->status, 401) << name << ": " << result->body;
    EXPECT_EQ(result->get_header_value("WWW-Authenticate").rfind("Bearer realm=\"detserve\"", 0), 0u) << name;
    const auto body = json_of(result);
    if (family == "native") {
        EXPECT_EQ(body["error"]["code"], "unauthorized") << name << ": " << result->body;
    } else if (family == "deepstack") {
        EXPECT_EQ(body["success"], false) << name << ": " << result->body;
        EXPECT_TRUE(body["error"].is_string()) << name;
    } else {
        ASSERT_TRUE(body.is_object()) << name << ": " << result->body;
        EXPECT_TRUE(body["error"].is_string()) << name << ": " << result->body;
        EXPECT_EQ(body.size(), 1u) << name << ": " << result->body;
    }
}

class HttpAuth : public SharedServerTest<HttpAuth> {
public:
    static std::vector<std::string> server_args() {
        return {"--api-keys", std::string(kKeyA) + ", " + kKeyB, "--access-log", "--web-root", kWebRoot.string(),
                "--cors-allowed-origins", "https://app.example"};
    }

protected:
    void SetUp() override {
        SharedServerTest::SetUp();
        dog_ = photo_bytes("dog.jpg");
        ASSERT_FALSE(dog_.empty()) << kFetchSamplesHint;
    }
    std::string dog_;
};

TEST_F(HttpAuth, WithoutAKeyEveryProtectedRouteIs401InItsFamilysShape) {
    auto c = client();
    for (const auto& call : protected_calls(dog_)) expect_unauthorized(call.send(c, {}), call.family, call.name);
}

TEST_F(HttpAuth, AWrongKeyOrAnotherSchemeIs401) {
    auto c = client();
    for (const auto& call : protected_calls(dog_)) {
        expect_unauthorized(call.send(c, bearer("wrong-key")), call.family, call.name + " (wrong key)");
        expect_unauthorized(call.send(c, bearer(std::string(kKeyA) + "x")), call.family, call.name + " (longer key)");
        expect_unauthorized(call.send(c, {{"Authorization", std::string("Basic ") + kKeyA}}), call.family,
                            call.name + " (Basic)");
    }
    expect_unauthorized(c.Post("/v1/vision/detection", deepstack_form(dog_, "wrong-key")), "deepstack",
                        "api_key field with a wrong key");
}

TEST_F(HttpAuth, TheRightKeyInTheHeaderIsAnsweredOnEveryFamily) {
    auto c = client();
    const auto detect = c.Post("/v1/detect", bearer(kKeyA), dog_, "image/jpeg");
    ASSERT_TRUE(detect);
    ASSERT_EQ(detect->status, 200) << detect->body;
    EXPECT_TRUE(has_label(json_of(detect), "dog")) << detect->body;
    const auto models = c.Get("/v1/models", bearer(kKeyB));
    ASSERT_TRUE(models);
    ASSERT_EQ(models->status, 200) << models->body;
    const std::string name = json_of(models)["models"][0]["name"];
    const auto metadata = c.Get(("/v2/models/" + name).c_str(), bearer(kKeyB));
    ASSERT_TRUE(metadata);
    EXPECT_EQ(metadata->status, 200) << metadata->body;
    const auto deepstack = c.Post("/v1/vision/detection", bearer(kKeyA), deepstack_form(dog_));
    ASSERT_TRUE(deepstack);
    EXPECT_EQ(deepstack->status, 200) << deepstack->body;
    EXPECT_EQ(json_of(deepstack)["success"], true) << deepstack->body;
    const auto lower_case = c.Get("/v1/models", {{"Authorization", std::string("bearer ") + kKeyA}});
    ASSERT_TRUE(lower_case);
    EXPECT_EQ(lower_case->status, 200) << "the scheme is case-insensitive (RFC 7235)";
}

TEST_F(HttpAuth, DeepStackRoutesTakeTheKeyAsTheApiKeyFormField) {
    auto c = client();
    const auto detection = c.Post("/v1/vision/detection", deepstack_form(dog_, kKeyB));
    ASSERT_TRUE(detection);
    ASSERT_EQ(detection->status, 200) << detection->body;
    const auto body = json_of(detection);
    EXPECT_EQ(body["success"], true) << detection->body;
    bool dog = false;
    for (const auto& prediction : body["predictions"]) dog = dog || prediction["label"] == "dog";
    EXPECT_TRUE(dog) << detection->body;
    const auto list = c.Post("/v1/vision/custom/list", httplib::MultipartFormDataItems{{"api_key", kKeyA, "", ""}});
    ASSERT_TRUE(list);
    EXPECT_EQ(list->status, 200) << list->body;
    // Only the DeepStack routes read the form: /v1/detect takes the header.
    const auto native = c.Post("/v1/detect", httplib::MultipartFormDataItems{{"image", dog_, "dog.jpg", "image/jpeg"},
                                                                               {"api_key", kKeyA, "", ""}});
    expect_unauthorized(native, "native", "POST /v1/detect with an api_key field");
}

TEST_F(HttpAuth, ProbesTheDocumentThePageAndPreflightsStayOpen) {
    auto c = client();
    for (const char* path : {"/healthz", "/readyz", "/v2/health/live", "/v2/health/ready", "/v1/status/ping",
                             "/openapi.json", "/", "/web/app.js", "/web/api.js"}) {
        const auto response = c.Get(path);
        ASSERT_TRUE(response) << path;
        EXPECT_EQ(response->status, 200) << path << ": " << response->body;
    }
    for (const char* path : {"/v1/detect", "/v1/vision/detection", "/v2/models/nanodet/infer"}) {
        const auto preflight = c.Options(path, {{"Origin", "https://app.example"},
                                                {"Access-Control-Request-Method", "POST"},
                                                {"Access-Control-Request-Headers", "Authorization"}});
        ASSERT_TRUE(preflight) << path;
        EXPECT_EQ(preflight->status, 204) << path << ": " << preflight->body;
        EXPECT_NE(preflight->get_header_value("Access-Control-Allow-Headers").find("Authorization"), std::string::npos)
            << path;
    }
}

TEST_F(HttpAuth, MetricsNeedAKeyAndCountTheRefusals) {
    auto c = client();
    expect_unauthorized(c.Get("/v1/models"), "native", "GET /v1/models");
    const auto metrics = c.Get("/metrics", bearer(kKeyA));
    ASSERT_TRUE(metrics);
    ASSERT_EQ(metrics->status, 200) << metrics->body;
    const std::regex unauthorized(R"(detserve_rejected_requests_total\{reason="unauthorized"\} (\d+))");
    std::smatch match;
    ASSERT_TRUE(std::regex_search(metrics->body, match, unauthorized)) << metrics->body;
    EXPECT_GE(std::stoi(match[1]), 1);
    EXPECT_NE(metrics->body.find(R"(detserve_http_requests_total{route="/v1/models",code="401"})"), std::string::npos);
}

TEST_F(HttpAuth, KeysNeverAppearInTheAccessLog) {
    auto c = client();
    ASSERT_TRUE(c.Get("/v1/models", bearer(kKeyA)));
    ASSERT_TRUE(c.Post("/v1/vision/custom/list", httplib::MultipartFormDataItems{{"api_key", kKeyB, "", ""}}));
    ASSERT_TRUE(c.Get("/v1/models", bearer(std::string(kKeyA) + "-typo")));
    ASSERT_TRUE(c.Get("/access-log-marker"));
    // The access log line follows the answer: wait for the last one (a liveness bound, not a timing).
    const auto until = std::chrono::steady_clock::now() + 10s;
    std::string log = server_->log();
    const std::string marker = "\"GET /access-log-marker\" 404";
    while (log.find(marker) == std::string::npos && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(20ms);
        log = server_->log();
    }
    EXPECT_NE(log.find("\"GET /v1/models\" 401"), std::string::npos) << log;
    EXPECT_NE(log.find("\"POST /v1/vision/custom/list\" 200"), std::string::npos) << log;
    for (const char* key : {kKeyA, kKeyB}) EXPECT_EQ(log.find(key), std::string::npos) << key << " in:\n" << log;
}

// Starts a server, waits until ready and answers its client, failing with its log otherwise.
std::unique_ptr<ServerProcess> start(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    auto server = std::make_unique<ServerProcess>(args, env);
    EXPECT_TRUE(server->wait_until_ready()) << server->log();
    return server;
}

TEST(HttpAuthSources, KeysFromTheEnvironmentAndPublicMetrics) {
    auto server = start({"--metrics-public"}, {"DETSERVE_API_KEYS=env-key-1, env-key-2"});
    auto c = server->client();
    const auto metrics = c.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->status, 200) << "metrics_public: no key needed";
    expect_unauthorized(c.Get("/v1/models"), "native", "GET /v1/models");
    const auto models = c.Get("/v1/models", bearer("env-key-2"));
    ASSERT_TRUE(models);
    EXPECT_EQ(models->status, 200) << models->body;
}

class KeysFile {
public:
    explicit KeysFile(const std::string& content) {
        path_ = fs::temp_directory_path() / ("detserve-http-keys-" + std::to_string(getpid()) + "-" +
                                             std::to_string(counter_++));
        std::ofstream(path_) << content;
    }
    ~KeysFile() { fs::remove(path_); }
    std::string path() const { return path_.string(); }

private:
    static inline int counter_ = 0;
    fs::path path_;
};

// A small burst at a slow refill (one token per 20 s): a quick series of requests sees exactly the
// burst answered, unless the series itself took longer than a refill.
constexpr const char* kSlowRateLimit = "0.05:3";
constexpr int kBurst = 3;

struct Counts {
    int ok = 0, limited = 0, other = 0;
    std::vector<int> retry_after;
};

Counts send_series(httplib::Client& c, int requests, const httplib::Headers& headers) {
    Counts counts;
    for (int i = 0; i < requests; ++i) {
        const auto response = c.Get("/v1/models", headers);
        if (response && response->status == 200) {
            ++counts.ok;
        } else if (response && response->status == 429) {
            ++counts.limited;
            const auto value = response->get_header_value("Retry-After");
            counts.retry_after.push_back(value.empty() ? -1 : std::stoi(value));
        } else {
            ++counts.other;
        }
    }
    return counts;
}

TEST(HttpAuthSources, KeysFromAFileWithARateLimitPerKey) {
    const KeysFile file("# detserve keys\nfile-key-1\n\n# file-key-retired\nfile-key-2\n");
    auto server = start({"--api-keys-file", file.path(), "--rate-limit", kSlowRateLimit});
    auto c = server->client();
    expect_unauthorized(c.Get("/v1/models", bearer("file-key-retired")), "native", "a commented-out key");
    const Counts first = send_series(c, 8, bearer("file-key-1"));
    EXPECT_EQ(first.other, 0);
    EXPECT_GE(first.ok, kBurst);
    EXPECT_LE(first.ok, kBurst + 1);
    EXPECT_EQ(first.ok + first.limited, 8);
    for (const int seconds : first.retry_after) {
        EXPECT_GE(seconds, 1);
        EXPECT_LE(seconds, 20);
    }
    const Counts second = send_series(c, 1, bearer("file-key-2"));
    EXPECT_EQ(second.ok, 1) << "file-key-2 has its own bucket";
    const auto healthz = c.Get("/healthz");
    ASSERT_TRUE(healthz);
    EXPECT_EQ(healthz->status, 200) << "probes are never rate-limited";
}

TEST(HttpAuthSources, WithoutKeysTheRateLimitIsPerAddressIn429sWithRetryAfter) {
    auto server = start({"--rate-limit", kSlowRateLimit, "--metrics-public"});
    auto c = server->client();
    const Counts counts = send_series(c, 10, {});
    EXPECT_EQ(counts.other, 0);
    EXPECT_GE(counts.ok, kBurst);
    EXPECT_LE(counts.ok, kBurst + 1);
    EXPECT_EQ(counts.ok + counts.limited, 10);
    ASSERT_FALSE(counts.retry_after.empty());
    for (const int seconds : counts.retry_after) {
        EXPECT_GE(seconds, 1);
        EXPECT_LE(seconds, 20);
    }
    const auto limited = c.Get("/v1/models");
    ASSERT_TRUE(limited);
    ASSERT_EQ(limited->status, 429);
    EXPECT_EQ(error_code(limited), "rate_limited");
    const auto deepstack = c.Post("/v1/vision/custom/list", a_form_field());
    ASSERT_TRUE(deepstack);
    EXPECT_EQ(deepstack->status, 429);
    EXPECT_EQ(json_of(deepstack)["success"], false) << deepstack->body;
    // The server still answers: the open routes, and the rejections are counted.
    const auto ready = c.Get("/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200);
    const auto metrics = c.Get("/metrics");
    ASSERT_TRUE(metrics);
    ASSERT_EQ(metrics->status, 200);
    const std::string expected = "detserve_rejected_requests_total{reason=\"rate_limited\"} " +
                                 std::to_string(counts.limited + 2);
    EXPECT_NE(metrics->body.find(expected), std::string::npos) << expected << " not in:\n" << metrics->body;
}

// A start-up error exits 2 and names the setting or the file, before any model is loaded.
std::string start_up_error(const std::vector<std::string>& args) {
    ServerProcess server(args);
    const auto status = server.wait_for_exit(10s);
    if (!status) return "still running";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << server.log();
    return server.log();
}

TEST(HttpAuthSources, MissingEmptyOrBadKeyFilesAndBadRateLimitsStopTheStart) {
    EXPECT_NE(start_up_error({"--api-keys-file", "/nonexistent/detserve-keys"})
                  .find("api_keys_file /nonexistent/detserve-keys: cannot open"),
              std::string::npos);
    const KeysFile empty("# no key yet\n\n");
    EXPECT_NE(
        start_up_error({"--api-keys-file", empty.path()}).find("api_keys_file " + empty.path() + ": holds no key"),
        std::string::npos);
    EXPECT_NE(start_up_error({"--rate-limit", "0"}).find("--rate-limit: expected "), std::string::npos);
    const std::string bad_key = start_up_error({"--api-keys", "ok-key,has space-secret"});
    EXPECT_NE(bad_key.find("--api-keys: key 2 holds a space"), std::string::npos) << bad_key;
    EXPECT_EQ(bad_key.find("secret"), std::string::npos) << bad_key;
}

}  // namespace
}  // namespace detserve::test
