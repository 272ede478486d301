#pragma once

#include <string>

#include <httplib.h>

#include "load/answer_check.hpp"
#include "load/request_builder.hpp"
#include "load/target_url.hpp"

namespace detserve::bench {

// Transport error kinds (answer_check.hpp has the ones read from an answer).
inline constexpr std::string_view kConnectError = "connect_error";
inline constexpr std::string_view kTimeout = "timeout";
inline constexpr std::string_view kReadError = "read_error";    // connection closed mid-answer
inline constexpr std::string_view kWriteError = "write_error";
inline constexpr std::string_view kTransportError = "transport_error";

// One keep-alive connection to the target; use one per thread (httplib::Client is not
// thread-safe). Reconnects by itself when the server closes the connection.
class HttpSender {
public:
    HttpSender(const TargetUrl& target, double timeout_s, bool expect_detections);

    // Posts the payload and checks the answer; blocks until the answer, an error or the timeout.
    AnswerVerdict send(const HttpPayload& payload);

private:
    httplib::Client client_;
    std::string path_;
    double timeout_s_;
    bool expect_detections_;
};

}  // namespace detserve::bench
