#pragma once
// Who may call which route (internal to server/): API keys and the rate limit. Each route says in
// the route table what it needs (RouteAccess); AccessControl::allow() answers 401 or 429 itself,
// in the route family's error shape.
#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

#include "detserve/server/http_server.hpp"
#include "rate_limiter.hpp"

namespace detserve::server {

class ServiceMetrics;
struct Route;

// What a route needs before it runs. A route that says nothing needs a key: inference, model
// metadata and any model-management route added later.
enum class RouteAccess {
    key,      // a key when api_keys are set; rate-limited
    metrics,  // GET /metrics: like `key` unless metrics_public
    open,     // health and readiness probes, the OpenAPI document, the web page's files
};

// The configured keys. find() compares in constant time: every key, over a fixed length.
class ApiKeys {
public:
    static constexpr std::size_t kMaxKeyBytes = 256;

    // Throws std::invalid_argument for an empty or longer key (the message never holds the key).
    explicit ApiKeys(const std::vector<std::string>& keys);

    bool empty() const { return keys_.empty(); }
    // The index of the key equal to `candidate`, or -1. How long it takes does not depend on
    // whether or where the candidate matches.
    int find(std::string_view candidate) const;

private:
    struct Stored {
        std::array<unsigned char, kMaxKeyBytes> bytes{};  // zero-padded
        std::size_t size = 0;
    };
    std::vector<Stored> keys_;
};

// The token of "Bearer TOKEN" (the scheme in any case, RFC 7235), or nullopt for another scheme.
std::optional<std::string_view> bearer_token(std::string_view authorization);

class AccessControl {
public:
    AccessControl(const ServerOptions& options, ServiceMetrics& metrics,
                  RateLimiter::Now now = RateLimiter::Clock::now);

    // true: the request may go on to its route. false: `response` holds a 401 (no key, or not a
    // configured one) or a 429 (over the rate limit) in the route's error shape.
    bool allow(const Route& route, const httplib::Request& request, httplib::Response& response);

    bool keys_required() const { return !keys_.empty(); }

private:
    bool guarded(const Route& route) const;
    // "key N" for the N-th configured key (never the key itself), else "address A".
    std::optional<std::string> client_of(const Route& route, const httplib::Request& request,
                                         httplib::Response& response);

    ApiKeys keys_;
    bool metrics_public_;
    ServiceMetrics& metrics_;
    std::unique_ptr<RateLimiter> limiter_;  // null: no rate limit
};

}  // namespace detserve::server
