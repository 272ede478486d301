#pragma once
// Where the stage microbenchmarks find their inputs: the default model and darknet's sample
// photos, searched in the same places as the integration tests. Each is read once and kept.
#include <filesystem>
#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>

#include "detserve/app/model_loader.hpp"

namespace detserve::bench {

// An input that is not on this machine; the message names the script that provides it.
class MissingInput : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// $DETSERVE_MODEL, else <repo>/models/nanodet/nanodet.xml.
std::filesystem::path default_model_path();

// The default model, loaded (not compiled) once. Throws MissingInput.
const app::Model& default_model();

// A sample photo (e.g. "dog.jpg") decoded to BGR, once. Throws MissingInput.
const cv::Mat& sample_image(const std::string& name);

}  // namespace detserve::bench
