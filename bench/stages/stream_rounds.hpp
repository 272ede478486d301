#pragma once
// Engine streams running concurrently, one forward each per round: stream 0 on the calling
// thread, every other stream on a std::thread of its own that lives as long as this object (the
// service likewise gives each stream a thread and a model of its own).
#include <barrier>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "detserve/engine/engine.hpp"

namespace detserve::bench {

class StreamRounds {
public:
    // One model per stream; `input` must outlive this object.
    StreamRounds(std::vector<engine::CompiledModel*> models, const Tensor& input);
    ~StreamRounds();
    StreamRounds(const StreamRounds&) = delete;
    StreamRounds& operator=(const StreamRounds&) = delete;

    // One forward on every stream; returns when all have finished: empty, or the first error.
    std::string run_round();

private:
    void forward(std::size_t stream);
    void helper_loop(std::size_t stream);

    std::vector<engine::CompiledModel*> models_;
    const Tensor& input_;
    std::vector<std::string> errors_;  // per stream, written by its own thread only
    std::barrier<> start_;
    std::barrier<> done_;
    bool stopping_ = false;  // published to the helpers by start_
    std::vector<std::thread> helpers_;
};

}  // namespace detserve::bench
