#pragma once
// The router's table (internal to server/): every route with its method, its pattern as users and
// /openapi.json see it, the regex cpp-httplib matches, the error shape of its API family, and the
// handler. Each API family lists its routes in its own file; http_server.cpp installs them all.
#include <regex>
#include <string>
#include <vector>

#include <httplib.h>

#include "access_control.hpp"
#include "server_context.hpp"

namespace detserve::server {

// How a family answers errors: native {"error":{"code","message"}}, DeepStack
// {"success":false,"error":"…"}, KServe v2 {"error":"…"}.
enum class ErrorStyle { native, deepstack, kserve };

using RouteHandler = void (*)(ServerContext&, const httplib::Request&, httplib::Response&);

struct Route {
    std::string method;   // "GET", "POST"
    std::string pattern;  // "/v2/models/{name}/infer": documentation and metrics label
    std::string regex;    // what cpp-httplib matches: "/v2/models/([^/]+)/infer"
    ErrorStyle errors = ErrorStyle::native;
    RouteHandler handler = nullptr;
    std::string summary;  // one line for /openapi.json
    RouteAccess access = RouteAccess::key;  // what a request needs before the handler runs
};

std::vector<Route> native_routes();     // native_routes.cpp
std::vector<Route> deepstack_routes();  // deepstack_routes.cpp: DeepStack / CodeProject.AI
std::vector<Route> kserve_routes();     // kserve_routes.cpp: KServe v2 REST
std::vector<Route> web_routes();        // web_routes.cpp: the web page

// Every route the server installs, in match order.
const std::vector<Route>& all_routes();

// The route whose regex matches `path` (any method), or nullptr.
const Route* match_route(const std::string& path);

// The error shape for a path no route matched (by its prefix), for cpp-httplib's own errors.
ErrorStyle error_style_for_path(const std::string& path);

// Writes `status` + the error in `style`; 503 also gets Retry-After.
void write_error(httplib::Response& response, ErrorStyle style, int status, const std::string& code,
                 const std::string& message);

}  // namespace detserve::server
