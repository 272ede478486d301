#include "stream_rounds.hpp"

#include <exception>
#include <utility>

namespace detserve::bench {

StreamRounds::StreamRounds(std::vector<engine::CompiledModel*> models, const Tensor& input)
    : models_(std::move(models)),
      input_(input),
      errors_(models_.size()),
      start_(static_cast<std::ptrdiff_t>(models_.size())),
      done_(static_cast<std::ptrdiff_t>(models_.size())) {
    for (std::size_t stream = 1; stream < models_.size(); ++stream)
        helpers_.emplace_back([this, stream] { helper_loop(stream); });
}

StreamRounds::~StreamRounds() {
    stopping_ = true;
    start_.arrive_and_wait();
    for (auto& helper : helpers_) helper.join();
}

std::string StreamRounds::run_round() {
    start_.arrive_and_wait();
    forward(0);
    done_.arrive_and_wait();
    for (const auto& error : errors_)
        if (!error.empty()) return error;
    return {};
}

void StreamRounds::forward(std::size_t stream) {
    try {
        const NamedTensors outputs = models_[stream]->infer(input_);
        if (outputs.empty()) errors_[stream] = "stream " + std::to_string(stream) + ": the model returned no outputs";
    } catch (const std::exception& e) {
        errors_[stream] = "stream " + std::to_string(stream) + ": " + e.what();
    }
}

void StreamRounds::helper_loop(std::size_t stream) {
    for (;;) {
        start_.arrive_and_wait();
        if (stopping_) return;
        forward(stream);
        done_.arrive_and_wait();
    }
}

}  // namespace detserve::bench
