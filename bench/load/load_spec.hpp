#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "load/request_builder.hpp"
#include "load/target_url.hpp"

namespace detserve::bench {

// What both load runners need: where to send, what to send, and when to stop.
struct LoadSpec {
    TargetUrl target;
    std::vector<HttpPayload> payloads;  // one per image, cycled through
    bool expect_detections = false;
    double timeout_s = 30;
    double warmup_s = 0;
    double duration_s = 10;                // measured phase, unless `requests` is set
    std::optional<std::int64_t> requests;  // measured requests
    const std::atomic<bool>* stop = nullptr;  // set by SIGINT: finish what is in flight, then report

    bool stop_requested() const { return stop != nullptr && stop->load(); }
};

}  // namespace detserve::bench
