#pragma once
// The pipeline's stage bodies as plain functions on Work: no TBB, so each is testable alone.
#include <vector>

#include "detserve/detect/model_spec.hpp"
#include "detserve/image/preprocess.hpp"
#include "work.hpp"

namespace detserve::pipeline {

// Header checks, pixel budget, cv::imdecode. On failure records a bad_image failure.
void decode_stage(Work& work, std::int64_t max_pixels);

// Resize/letterbox + normalise into work.input; frees the decoded image.
void preprocess_stage(Work& work, const image::PreprocessSpec& spec);

// Concatenates the items' inputs into one NCHW batch.
Tensor assemble_batch(const std::vector<WorkPtr>& items, const image::PreprocessSpec& spec);

// Decoder + NMS + label map for work.outputs[batch_index], then the class filter.
void postprocess_stage(Work& work, const detect::ModelSpec& spec, const image::PreprocessSpec& input);

}  // namespace detserve::pipeline
