#include "route_table.hpp"
#include "routes.hpp"

namespace detserve::server {

std::vector<Route> native_routes() {
    return {
        {"POST", "/v1/detect", "/v1/detect", ErrorStyle::native, handle_detect,
         "Detect objects in one image (raw JPEG/PNG body) or several (multipart 'image' fields)"},
        {"GET", "/v1/models", "/v1/models", ErrorStyle::native, handle_models, "The served models"},
        {"POST", "/v1/models/{model}/reload", "/v1/models/([^/]+)/reload", ErrorStyle::native, handle_reload,
         "Reload a model from its files; the old one serves until the new one is warm, and stays if it fails"},
        {"GET", "/healthz", "/healthz", ErrorStyle::native, handle_healthz, "Liveness: the process is up",
         RouteAccess::open},
        {"GET", "/readyz", "/readyz", ErrorStyle::native, handle_readyz,
         "Readiness: the model is compiled and warmed up", RouteAccess::open},
        {"GET", "/metrics", "/metrics", ErrorStyle::native, handle_metrics, "Prometheus text exposition 0.0.4",
         RouteAccess::metrics},
        {"GET", "/openapi.json", "/openapi\\.json", ErrorStyle::native, handle_openapi, "This API's OpenAPI 3 document",
         RouteAccess::open},
    };
}

}  // namespace detserve::server
