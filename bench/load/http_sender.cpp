#include "load/http_sender.hpp"

#include <chrono>
#include <cmath>

namespace detserve::bench {
namespace {

struct SecondsMicros {
    time_t seconds;
    time_t micros;
};

SecondsMicros split_seconds(double seconds) {
    const double whole = std::floor(seconds);
    return {static_cast<time_t>(whole), static_cast<time_t>(std::lround((seconds - whole) * 1e6))};
}

// httplib reports a read timeout as Error::Read: the elapsed time tells the two apart.
std::string transport_error_kind(httplib::Error error, double elapsed_s, double timeout_s) {
    const bool timed_out = elapsed_s >= timeout_s * 0.99;
    switch (error) {
        case httplib::Error::Connection:
            return std::string(kConnectError);
        case httplib::Error::ConnectionTimeout:
            return std::string(kTimeout);
        case httplib::Error::Read:
            return std::string(timed_out ? kTimeout : kReadError);
        case httplib::Error::Write:
            return std::string(timed_out ? kTimeout : kWriteError);
        default:
            return std::string(kTransportError);
    }
}

}  // namespace

HttpSender::HttpSender(const TargetUrl& target, double timeout_s, bool expect_detections)
    : client_(target.origin), path_(target.path), timeout_s_(timeout_s), expect_detections_(expect_detections) {
    const auto timeout = split_seconds(timeout_s);
    client_.set_keep_alive(true);
    // httplib writes headers and body separately: with Nagle's algorithm on, a small last
    // segment can wait for the peer's delayed ACK (~40 ms on Linux) on a reused connection.
    client_.set_tcp_nodelay(true);
    client_.set_connection_timeout(timeout.seconds, timeout.micros);
    client_.set_read_timeout(timeout.seconds, timeout.micros);
    client_.set_write_timeout(timeout.seconds, timeout.micros);
}

AnswerVerdict HttpSender::send(const HttpPayload& payload) {
    const auto start = std::chrono::steady_clock::now();
    const auto result = client_.Post(path_, payload.body, payload.content_type);
    if (!result) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        AnswerVerdict verdict;
        verdict.error_kind = transport_error_kind(result.error(), elapsed, timeout_s_);
        return verdict;
    }
    return check_answer(result->status, result->body, expect_detections_);
}

}  // namespace detserve::bench
