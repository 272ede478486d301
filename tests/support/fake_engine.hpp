#pragma once
// A CompiledModel for pipeline tests: it answers like a YOLOv8 head ([B, 4+80, 1]) with one box
// whose class is the image's grey level, so a test can tell whose answer each request received.
// It sleeps `forward_ms` per forward, records the batch sizes it saw, and throws for a grey level
// listed in `throw_on_level`.
#include <chrono>
#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "detserve/engine/engine.hpp"

namespace detserve::test {

// Shared by several fake engines: how many forwards ran at the same time, at most.
struct ConcurrencyProbe {
    std::mutex mutex;
    int active = 0, max_active = 0;
    void enter() {
        std::lock_guard lock(mutex);
        max_active = std::max(max_active, ++active);
    }
    void leave() {
        std::lock_guard lock(mutex);
        --active;
    }
};

class FakeEngine : public engine::CompiledModel {
public:
    static constexpr int kClasses = 80;
    static constexpr int kSize = 32;  // input width and height

    FakeEngine(bool dynamic_batch, int forward_ms, int throw_on_level = -1,
               std::shared_ptr<ConcurrencyProbe> probe = std::make_shared<ConcurrencyProbe>())
        : dynamic_(dynamic_batch), forward_ms_(forward_ms), throw_on_level_(throw_on_level), probe_(std::move(probe)) {
        input_ = {"images", {dynamic_batch ? -1 : 1, 3, kSize, kSize}};
        outputs_ = {{"output0", {dynamic_batch ? -1 : 1, 4 + kClasses, 1}}};
    }

    NamedTensors infer(const Tensor& input) override {
        const auto batch = input.shape.at(0);
        if (!dynamic_ && batch != 1) throw engine::EngineError("fake engine: fixed batch of 1");
        {
            std::lock_guard lock(mutex_);
            batch_sizes_.push_back(static_cast<int>(batch));
        }
        probe_->enter();
        std::this_thread::sleep_for(std::chrono::milliseconds(forward_ms_));
        probe_->leave();
        Tensor out;
        out.shape = {batch, 4 + kClasses, 1};
        out.data.assign(out.elements(), 0.0f);
        const std::size_t per_image = input.elements() / static_cast<std::size_t>(batch);
        for (std::int64_t b = 0; b < batch; ++b) {
            const int level = static_cast<int>(std::lround(input.data[static_cast<std::size_t>(b) * per_image]));
            if (level == throw_on_level_) throw engine::EngineError("fake engine: asked to fail on level " + std::to_string(level));
            float* row = out.data.data() + b * (4 + kClasses);
            row[0] = 16;  // cx, cy, w, h in input pixels
            row[1] = 16;
            row[2] = 16;
            row[3] = 16;
            row[4 + level % kClasses] = 0.9f;
        }
        return {{"output0", std::move(out)}};
    }

    std::vector<int> batch_sizes() const {
        std::lock_guard lock(mutex_);
        return batch_sizes_;
    }

    const engine::TensorInfo& input() const override { return input_; }
    const std::vector<engine::TensorInfo>& outputs() const override { return outputs_; }
    bool dynamic_batch() const override { return dynamic_; }
    std::string precision() const override { return "f32"; }
    std::string engine_name() const override { return "fake"; }
    engine::Target target() const override { return engine::Target::cpu; }
    engine::EngineDescription describe() const override {
        return {"fake", "0", "cpu", "", "f32", "", 1, 1, dynamic_ ? "dynamic" : "fixed 1"};
    }

private:
    bool dynamic_;
    int forward_ms_;
    int throw_on_level_;
    std::shared_ptr<ConcurrencyProbe> probe_;
    engine::TensorInfo input_;
    std::vector<engine::TensorInfo> outputs_;
    mutable std::mutex mutex_;
    std::vector<int> batch_sizes_;
};

}  // namespace detserve::test
