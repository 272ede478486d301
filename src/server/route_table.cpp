#include "route_table.hpp"

#include <nlohmann/json.hpp>

#include "detserve/server/api_error.hpp"
#include "json_text.hpp"

namespace detserve::server {
namespace {

struct CompiledRoute {
    const Route* route;
    std::regex regex;
};

const std::vector<CompiledRoute>& compiled_routes() {
    static const std::vector<CompiledRoute> compiled = [] {
        std::vector<CompiledRoute> out;
        for (const auto& route : all_routes()) out.push_back({&route, std::regex(route.regex)});
        return out;
    }();
    return compiled;
}

}  // namespace

const std::vector<Route>& all_routes() {
    static const std::vector<Route> routes = [] {
        std::vector<Route> out;
        for (auto family : {native_routes, deepstack_routes, kserve_routes, web_routes})
            for (auto& route : family()) out.push_back(std::move(route));
        return out;
    }();
    return routes;
}

const Route* match_route(const std::string& path) {
    for (const auto& compiled : compiled_routes())
        if (std::regex_match(path, compiled.regex)) return compiled.route;
    return nullptr;
}

ErrorStyle error_style_for_path(const std::string& path) {
    if (path.rfind("/v1/vision/", 0) == 0 || path.rfind("/v1/status/", 0) == 0) return ErrorStyle::deepstack;
    if (path == "/v2" || path.rfind("/v2/", 0) == 0) return ErrorStyle::kserve;
    return ErrorStyle::native;
}

void write_error(httplib::Response& response, ErrorStyle style, int status, const std::string& code,
                 const std::string& message) {
    response.status = status;
    if (status == 503) response.set_header("Retry-After", "1");
    switch (style) {
        case ErrorStyle::native:
            response.set_content(error_body(code, message), "application/json");
            return;
        case ErrorStyle::deepstack:
            response.set_content(json_text(nlohmann::ordered_json{{"success", false}, {"error", message}, {"code", status}}),
                                 "application/json");
            return;
        case ErrorStyle::kserve:
            response.set_content(json_text(nlohmann::ordered_json{{"error", message}}), "application/json");
            return;
    }
}

}  // namespace detserve::server
