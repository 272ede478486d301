// API keys and the rate limit in front of the routes: which routes need a key, the 401 and 429
// answers in each family's error shape, keys compared whole, clients told apart.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "../../src/server/access_control.hpp"
#include "../../src/server/route_table.hpp"
#include "detserve/server/metrics.hpp"
#include "detserve/server/service_metrics.hpp"

namespace detserve::server {
namespace {

using namespace std::chrono_literals;

Route route_of(ErrorStyle style, RouteAccess access = RouteAccess::key) {
    return {"POST", "/x", "/x", style, nullptr, "a route", access};
}

httplib::Request request_with(const std::string& authorization = "", const std::string& address = "127.0.0.1") {
    httplib::Request request;
    if (!authorization.empty()) request.headers.emplace("Authorization", authorization);
    request.remote_addr = address;
    return request;
}

class AccessControlTest : public ::testing::Test {
protected:
    ServerOptions options_with(std::vector<std::string> keys, double per_s = 0, int burst = 1) {
        ServerOptions options;
        options.api_keys = std::move(keys);
        options.rate_limit_per_s = per_s;
        options.rate_limit_burst = burst;
        return options;
    }
    AccessControl make(const ServerOptions& options) {
        return AccessControl(options, metrics_, [this] { return now_; });
    }
    std::string exposition() { return registry_.render(); }

    MetricsRegistry registry_;
    ServiceMetrics metrics_{registry_, 4, "test"};
    RateLimiter::Clock::time_point now_{};
};

TEST(ServerApiKeys, FindsTheWholeKeyOnly) {
    const ApiKeys keys({"alpha-key", "beta-key-2"});
    EXPECT_EQ(keys.find("alpha-key"), 0);
    EXPECT_EQ(keys.find("beta-key-2"), 1);
    for (const char* wrong : {"", "alpha", "alpha-key ", "alpha-keyx", "ALPHA-KEY", "beta-key-", "beta-key-22"})
        EXPECT_EQ(keys.find(wrong), -1) << wrong;
    EXPECT_EQ(keys.find(std::string(1000, 'a')), -1);
    EXPECT_EQ(keys.find(std::string("alpha-key\0", 10)), -1) << "a trailing NUL is not the zero padding";
}

TEST(ServerApiKeys, KeysOfTheMaximumLengthWorkAndLongerAreRefused) {
    const std::string longest(ApiKeys::kMaxKeyBytes, 'k');
    const ApiKeys keys({longest});
    EXPECT_EQ(keys.find(longest), 0);
    EXPECT_EQ(keys.find(longest + "k"), -1);
    EXPECT_THROW(ApiKeys({longest + "k"}), std::invalid_argument);
    EXPECT_THROW(ApiKeys({""}), std::invalid_argument);
    try {
        ApiKeys({"fine", "secret-but-too-long" + longest});
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << "the message shows the key: " << e.what();
        EXPECT_NE(std::string(e.what()).find("key 2"), std::string::npos) << e.what();
    }
}

TEST(ServerApiKeys, BearerTokenTakesAnyCaseOfTheScheme) {
    EXPECT_EQ(bearer_token("Bearer abc"), "abc");
    EXPECT_EQ(bearer_token("bearer   abc  "), "abc");
    EXPECT_EQ(bearer_token("BEARER\tabc"), "abc");
    EXPECT_FALSE(bearer_token("Basic YWxhZGRpbjpvcGVuc2VzYW1l"));
    EXPECT_FALSE(bearer_token("Bearerabc"));
    EXPECT_FALSE(bearer_token("Bearer"));
    EXPECT_EQ(bearer_token("Bearer "), std::nullopt) << "trimmed to 'Bearer'";
}

TEST_F(AccessControlTest, WithoutKeysEverythingIsAllowed) {
    auto access = make(options_with({}));
    httplib::Response response;
    EXPECT_TRUE(access.allow(route_of(ErrorStyle::native), request_with(), response));
    EXPECT_TRUE(access.allow(route_of(ErrorStyle::native, RouteAccess::metrics), request_with(), response));
}

TEST_F(AccessControlTest, MissingKeyIs401InEachFamilysShapeWithWwwAuthenticate) {
    auto access = make(options_with({"k1"}));
    httplib::Response native, deepstack, kserve;
    EXPECT_FALSE(access.allow(route_of(ErrorStyle::native), request_with(), native));
    EXPECT_FALSE(access.allow(route_of(ErrorStyle::deepstack), request_with(), deepstack));
    EXPECT_FALSE(access.allow(route_of(ErrorStyle::kserve), request_with(), kserve));
    for (const auto* response : {&native, &deepstack, &kserve}) {
        EXPECT_EQ(response->status, 401);
        EXPECT_EQ(response->get_header_value("WWW-Authenticate"), "Bearer realm=\"detserve\"");
    }
    const auto n = nlohmann::json::parse(native.body);
    EXPECT_EQ(n["error"]["code"], "unauthorized");
    const auto d = nlohmann::json::parse(deepstack.body);
    EXPECT_EQ(d["success"], false);
    EXPECT_NE(d["error"].get<std::string>().find("api_key"), std::string::npos) << d;
    const auto k = nlohmann::json::parse(kserve.body);
    EXPECT_TRUE(k["error"].is_string());
    EXPECT_NE(exposition().find("detserve_rejected_requests_total{reason=\"unauthorized\"} 3"), std::string::npos)
        << exposition();
}

TEST_F(AccessControlTest, WrongKeyOrSchemeIs401InvalidToken) {
    auto access = make(options_with({"k1"}));
    for (const char* header : {"Bearer k2", "Bearer k1k1", "Basic azE6", "k1"}) {
        httplib::Response response;
        EXPECT_FALSE(access.allow(route_of(ErrorStyle::native), request_with(header), response)) << header;
        EXPECT_EQ(response.status, 401) << header;
        EXPECT_NE(response.get_header_value("WWW-Authenticate").find("invalid_token"), std::string::npos) << header;
        EXPECT_EQ(response.body.find("k1"), std::string::npos) << "the answer shows a key: " << response.body;
    }
}

TEST_F(AccessControlTest, RightKeyInTheHeaderIsAllowed) {
    auto access = make(options_with({"k1", "k2"}));
    httplib::Response response;
    EXPECT_TRUE(access.allow(route_of(ErrorStyle::kserve), request_with("Bearer k2"), response));
    EXPECT_EQ(response.status, -1) << "untouched";
}

TEST_F(AccessControlTest, DeepStackTakesTheApiKeyFormFieldOtherFamiliesDoNot) {
    auto access = make(options_with({"k1"}));
    auto request = request_with();
    request.files.emplace("api_key", httplib::MultipartFormData{"api_key", " k1\r\n", "", ""});
    httplib::Response deepstack, native;
    EXPECT_TRUE(access.allow(route_of(ErrorStyle::deepstack), request, deepstack));
    EXPECT_FALSE(access.allow(route_of(ErrorStyle::native), request, native));
    EXPECT_EQ(native.status, 401);
}

TEST_F(AccessControlTest, OpenRoutesNeedNoKeyAndMetricsOnlyWhenPublic) {
    auto options = options_with({"k1"});
    auto closed = make(options);
    options.metrics_public = true;
    auto open = make(options);
    httplib::Response response;
    EXPECT_TRUE(closed.allow(route_of(ErrorStyle::native, RouteAccess::open), request_with(), response));
    EXPECT_FALSE(closed.allow(route_of(ErrorStyle::native, RouteAccess::metrics), request_with(), response));
    EXPECT_TRUE(open.allow(route_of(ErrorStyle::native, RouteAccess::metrics), request_with(), response));
}

TEST_F(AccessControlTest, RateLimitIsPerKeyWith429AndRetryAfter) {
    auto access = make(options_with({"k1", "k2"}, 0.5, 2));
    const auto route = route_of(ErrorStyle::deepstack);
    httplib::Response ok;
    EXPECT_TRUE(access.allow(route, request_with("Bearer k1", "10.0.0.1"), ok));
    EXPECT_TRUE(access.allow(route, request_with("Bearer k1", "10.0.0.2"), ok));
    httplib::Response limited;
    EXPECT_FALSE(access.allow(route, request_with("Bearer k1", "10.0.0.3"), limited)) << "same key, other address";
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.get_header_value("Retry-After"), "2");
    EXPECT_EQ(nlohmann::json::parse(limited.body)["success"], false);
    EXPECT_TRUE(access.allow(route, request_with("Bearer k2", "10.0.0.3"), ok)) << "k2 has its own bucket";
    httplib::Response wrong;
    EXPECT_FALSE(access.allow(route, request_with("Bearer nope"), wrong));
    EXPECT_EQ(wrong.status, 401) << "a wrong key is refused before the limiter";
    now_ += 2s;
    EXPECT_TRUE(access.allow(route, request_with("Bearer k1"), ok)) << "a token again after Retry-After";
    EXPECT_NE(exposition().find("detserve_rejected_requests_total{reason=\"rate_limited\"} 1"), std::string::npos)
        << exposition();
}

TEST_F(AccessControlTest, WithoutKeysTheRateLimitIsPerAddressAndSparesOpenRoutes) {
    auto access = make(options_with({}, 1, 1));
    const auto route = route_of(ErrorStyle::native);
    httplib::Response response;
    EXPECT_TRUE(access.allow(route, request_with("", "10.0.0.1"), response));
    EXPECT_FALSE(access.allow(route, request_with("", "10.0.0.1"), response));
    EXPECT_EQ(response.status, 429);
    EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "rate_limited");
    EXPECT_TRUE(access.allow(route, request_with("", "10.0.0.2"), response));
    for (int i = 0; i < 5; ++i)
        EXPECT_TRUE(
            access.allow(route_of(ErrorStyle::native, RouteAccess::open), request_with("", "10.0.0.1"), response));
}

// The routes a load balancer, a browser loading the page or a client reading the API description
// reach without a key; every other route (and any added later) needs one.
TEST(ServerRouteAccess, OnlyProbesTheDocumentAndThePagesFilesAreOpen) {
    std::set<std::string> open, metrics;
    for (const auto& route : all_routes()) {
        if (route.access == RouteAccess::open) open.insert(route.method + " " + route.pattern);
        if (route.access == RouteAccess::metrics) metrics.insert(route.method + " " + route.pattern);
    }
    EXPECT_EQ(open, (std::set<std::string>{"GET /healthz", "GET /readyz", "GET /openapi.json", "GET /v1/status/ping",
                                           "GET /v2/health/live", "GET /v2/health/ready", "GET /", "GET /web/{file}"}));
    EXPECT_EQ(metrics, (std::set<std::string>{"GET /metrics"}));
}

// docs/openapi.json says the same: bearer security everywhere, `security: []` on the open routes,
// and 401 + 429 answers documented on every route that needs a key.
TEST(ServerRouteAccess, OpenApiDocumentsSecurityAsTheRouteTableDoes) {
    std::ifstream in(DETSERVE_SOURCE_DIR "/docs/openapi.json");
    const auto doc = nlohmann::json::parse(in);
    ASSERT_EQ(doc.at("components").at("securitySchemes").at("bearer").at("scheme"), "bearer");
    ASSERT_EQ(doc.at("security"), nlohmann::json::parse(R"([{"bearer": []}])"));
    for (const auto& route : all_routes()) {
        std::string method = route.method;
        for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto& operation = doc.at("paths").at(route.pattern).at(method);
        const std::string name = route.method + " " + route.pattern;
        if (route.access == RouteAccess::open) {
            EXPECT_EQ(operation.value("security", nlohmann::json()), nlohmann::json::array()) << name;
        } else {
            EXPECT_FALSE(operation.contains("security")) << name << " should inherit the document's security";
            EXPECT_TRUE(operation.at("responses").contains("401")) << name;
            EXPECT_TRUE(operation.at("responses").contains("429")) << name;
        }
    }
}

}  // namespace
}  // namespace detserve::server
