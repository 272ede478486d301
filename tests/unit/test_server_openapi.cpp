// /openapi.json (docs/openapi.json, compiled in) and the router describe the same routes: every
// registered route is documented and every documented route is registered.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "detserve/server/http_server.hpp"

namespace detserve::server {
namespace {

using RouteSet = std::set<std::pair<std::string, std::string>>;

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
    return text;
}

RouteSet documented_routes() {
    std::ifstream in(DETSERVE_SOURCE_DIR "/docs/openapi.json");
    const auto doc = nlohmann::json::parse(in);
    RouteSet routes;
    for (const auto& [path, operations] : doc.at("paths").items())
        for (const auto& [method, operation] : operations.items())
            if (method != "parameters") routes.emplace(upper(method), path);
    return routes;
}

std::string describe(const RouteSet& routes) {
    std::string text;
    for (const auto& [method, path] : routes) text += "\n  " + method + " " + path;
    return text;
}

TEST(ServerOpenApi, EveryRegisteredRouteIsDocumented) {
    const auto documented = documented_routes();
    RouteSet missing;
    for (const auto& route : registered_routes())
        if (!documented.count(route)) missing.insert(route);
    EXPECT_TRUE(missing.empty()) << "registered but not in docs/openapi.json:" << describe(missing);
}

TEST(ServerOpenApi, EveryDocumentedRouteIsRegistered) {
    const auto registered_list = registered_routes();
    const RouteSet registered(registered_list.begin(), registered_list.end());
    RouteSet missing;
    for (const auto& route : documented_routes())
        if (!registered.count(route)) missing.insert(route);
    EXPECT_TRUE(missing.empty()) << "in docs/openapi.json but not registered:" << describe(missing);
}

TEST(ServerOpenApi, DocumentIsOpenApi3WithOperationsThatHaveResponses) {
    std::ifstream in(DETSERVE_SOURCE_DIR "/docs/openapi.json");
    const auto doc = nlohmann::json::parse(in);
    EXPECT_EQ(doc.at("openapi").get<std::string>().substr(0, 2), "3.");
    for (const auto& [path, operations] : doc.at("paths").items())
        for (const auto& [method, operation] : operations.items()) {
            EXPECT_TRUE(operation.contains("summary")) << method << " " << path;
            EXPECT_FALSE(operation.value("responses", nlohmann::json::object()).empty()) << method << " " << path;
        }
}

}  // namespace
}  // namespace detserve::server
