#pragma once
// One model on one engine instance, image in, detections out: the synchronous path used by the
// CLI and by tests. (The service runs the same stages in its pipeline.)
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "detserve/app/model_loader.hpp"
#include "detserve/image/preprocess.hpp"

namespace detserve::app {

struct ImageDetections {
    int width = 0, height = 0;
    std::vector<detect::Detection> detections;
    std::map<std::string, double> timing_ms;
    int batch_size = 1;
};

image::PreprocessSpec preprocess_spec(const Model& model);

class Detector {
public:
    Detector(Model model, const engine::EngineOptions& options);

    // Preprocesses the images into one NCHW batch and the transforms back to each image.
    Tensor make_batch(const std::vector<cv::Mat>& images, std::vector<detect::InputTransform>& transforms) const;

    // Runs every image in one forward when the model's batch is dynamic, else one by one.
    std::vector<ImageDetections> detect(const std::vector<cv::Mat>& images, const detect::DecodeOptions& options);

    detect::DecodeOptions default_options() const;
    const Model& model() const { return model_; }
    engine::CompiledModel& engine() { return *engine_; }

private:
    Model model_;
    image::PreprocessSpec preprocess_;
    std::unique_ptr<engine::CompiledModel> engine_;
};

}  // namespace detserve::app
