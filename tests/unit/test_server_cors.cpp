#include <gtest/gtest.h>

#include "../../src/server/cors.hpp"

namespace detserve::server {
namespace {

TEST(ServerCors, EmptyListMeansNoCrossOriginAccess) {
    const auto policy = make_cors_policy("", "GET", "Content-Type");
    EXPECT_FALSE(policy.enabled());
    EXPECT_FALSE(allowed_origin(policy, "https://app.example"));
}

TEST(ServerCors, ListedOriginsAreEchoedOthersRefused) {
    const auto policy = make_cors_policy(" https://app.example, http://localhost:3000/ ", "GET", "Content-Type");
    EXPECT_EQ(allowed_origin(policy, "https://app.example"), "https://app.example");
    EXPECT_EQ(allowed_origin(policy, "http://localhost:3000"), "http://localhost:3000");
    EXPECT_FALSE(allowed_origin(policy, "https://evil.example"));
    EXPECT_FALSE(allowed_origin(policy, "")) << "no Origin header: not a cross-origin request";
}

TEST(ServerCors, WildcardAllowsAnyOrigin) {
    const auto policy = make_cors_policy("*", "GET", "Content-Type");
    EXPECT_EQ(allowed_origin(policy, "https://anything.example"), "*");
}

TEST(ServerCors, NonOriginsAreRefusedNamingTheKey) {
    try {
        make_cors_policy("app.example", "GET", "Content-Type");
        FAIL() << "accepted an origin without a scheme";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("cors_allowed_origins"), std::string::npos);
    }
    EXPECT_THROW(make_cors_policy("https://app.example/path", "GET", "Content-Type"), std::invalid_argument);
}

}  // namespace
}  // namespace detserve::server
