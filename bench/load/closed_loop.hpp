#pragma once

#include "load/load_spec.hpp"
#include "load/recorder.hpp"

namespace detserve::bench {

// `concurrency` threads, each with its own keep-alive connection, each sending its next request
// as soon as the previous answer arrives. Latency = answer time - send time. Requests sent
// during the first warmup_s seconds are recorded as warm-up.
void run_closed_loop(const LoadSpec& spec, int concurrency, Recorder& recorder);

}  // namespace detserve::bench
