#pragma once

#include "load/load_spec.hpp"
#include "load/recorder.hpp"

namespace detserve::bench {

// Constant rate: request k is scheduled at t0 + k/rate whatever the server does, and handed to
// a pool of sender threads (each with its own keep-alive connection) that grows on demand up to
// max_connections. Latency = answer time - scheduled time, so a request that waited for a free
// sender (or behind a slow server) shows that wait instead of hiding it (coordinated omission).
// A request that waited longer than the timeout before a sender was free is not sent and counts
// as a client_queue_timeout error.
void run_open_loop(const LoadSpec& spec, double rate, int max_connections, Recorder& recorder);

}  // namespace detserve::bench
