#include "access_control.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

#include "detserve/server/service_metrics.hpp"
#include "route_table.hpp"

namespace detserve::server {
namespace {

// DeepStack clients send the key as a multipart form field of this name.
constexpr const char* kDeepStackKeyField = "api_key";

std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string format_rate(double per_s) {
    std::ostringstream out;
    out << per_s;
    return out.str();
}

}  // namespace

ApiKeys::ApiKeys(const std::vector<std::string>& keys) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto& key = keys[i];
        if (key.empty() || key.size() > kMaxKeyBytes)
            throw std::invalid_argument("API key " + std::to_string(i + 1) + " is empty or longer than " +
                                        std::to_string(kMaxKeyBytes) + " bytes");
        Stored stored;
        std::copy(key.begin(), key.end(), stored.bytes.begin());
        stored.size = key.size();
        keys_.push_back(stored);
    }
}

int ApiKeys::find(std::string_view candidate) const {
    std::array<unsigned char, kMaxKeyBytes> padded{};
    const std::size_t size = std::min(candidate.size(), kMaxKeyBytes);
    std::copy_n(candidate.begin(), size, padded.begin());
    const unsigned char too_long = candidate.size() > kMaxKeyBytes ? 1 : 0;
    int found = -1;
    for (std::size_t k = 0; k < keys_.size(); ++k) {
        // volatile: the compiler may not turn the accumulation into an early exit.
        volatile unsigned char difference = too_long | static_cast<unsigned char>(keys_[k].size != size);
        for (std::size_t i = 0; i < kMaxKeyBytes; ++i)
            difference = difference | static_cast<unsigned char>(keys_[k].bytes[i] ^ padded[i]);
        const int match = difference == 0;
        found = match * static_cast<int>(k) + (1 - match) * found;
    }
    return found;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    constexpr std::string_view scheme = "bearer";
    authorization = trimmed(authorization);
    if (authorization.size() <= scheme.size()) return std::nullopt;
    const char separator = authorization[scheme.size()];
    if (separator != ' ' && separator != '\t') return std::nullopt;
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return std::nullopt;
    return trimmed(authorization.substr(scheme.size()));
}

AccessControl::AccessControl(const ServerOptions& options, ServiceMetrics& metrics, RateLimiter::Now now)
    : keys_(options.api_keys), metrics_public_(options.metrics_public), metrics_(metrics) {
    if (options.rate_limit_per_s > 0)
        limiter_ = std::make_unique<RateLimiter>(RateLimit{options.rate_limit_per_s, options.rate_limit_burst},
                                                 std::move(now));
}

bool AccessControl::guarded(const Route& route) const {
    switch (route.access) {
        case RouteAccess::open:
            return false;
        case RouteAccess::metrics:
            return !metrics_public_;
        case RouteAccess::key:
            return true;
    }
    return true;
}

std::optional<std::string> AccessControl::client_of(const Route& route, const httplib::Request& request,
                                                    httplib::Response& response) {
    if (keys_.empty()) return "address " + request.remote_addr;
    const bool deepstack = route.errors == ErrorStyle::deepstack;
    std::string authorization;  // get_header_value returns a copy: `presented` views into this one
    std::optional<std::string_view> presented;
    bool malformed = false;
    if (request.has_header("Authorization")) {
        authorization = request.get_header_value("Authorization");
        presented = bearer_token(authorization);
        malformed = !presented;
    } else if (deepstack) {
        if (const auto field = request.files.find(kDeepStackKeyField); field != request.files.end())
            presented = trimmed(field->second.content);
    }
    int index = -1;
    std::string message;
    if (presented && !presented->empty()) {
        index = keys_.find(*presented);
        if (index < 0) message = "the API key is not valid";
    } else if (malformed) {
        message = "the Authorization header must be 'Bearer KEY'";
    } else {
        message = std::string("this route needs an API key: send 'Authorization: Bearer KEY'") +
                  (deepstack ? " or the api_key form field" : "");
    }
    if (index >= 0) return "key " + std::to_string(index);
    write_error(response, route.errors, 401, "unauthorized", message);
    // RFC 6750: a presented but wrong token is invalid_token; no credentials at all gets no error.
    const bool sent_a_key = presented || malformed;
    response.set_header("WWW-Authenticate", sent_a_key ? "Bearer realm=\"detserve\", error=\"invalid_token\""
                                                       : "Bearer realm=\"detserve\"");
    metrics_.record_rejection("unauthorized");
    return std::nullopt;
}

bool AccessControl::allow(const Route& route, const httplib::Request& request, httplib::Response& response) {
    if (!guarded(route)) return true;
    const auto client = client_of(route, request, response);
    if (!client) return false;
    if (!limiter_) return true;
    const int retry_after_s = limiter_->take(*client);
    if (retry_after_s == 0) return true;
    const auto& limit = limiter_->limit();
    write_error(response, route.errors, 429, "rate_limited",
                "over the rate limit of " + format_rate(limit.per_s) + " requests/s (burst " +
                    std::to_string(limit.burst) + (keys_.empty() ? ") per client address" : ") per API key") +
                    "; retry after " + std::to_string(retry_after_s) + " s");
    response.set_header("Retry-After", std::to_string(retry_after_s));
    metrics_.record_rejection("rate_limited");
    return false;
}

}  // namespace detserve::server
