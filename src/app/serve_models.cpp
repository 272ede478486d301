#include "serve_models.hpp"

#include <algorithm>
#include <sstream>
#include <thread>

#include "detserve/app/detector.hpp"
#include "detserve/app/model_loader.hpp"
#include "detserve/detect/nms.hpp"
#include "detserve/engine/cpu_isa.hpp"
#include "detserve/server/service_metrics.hpp"
#include "serve_model_list.hpp"
#include "serve_model_repository.hpp"

namespace detserve::app {
namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::ostringstream text;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) text << 'x';
        if (shape[i] < 0)
            text << '?';
        else
            text << shape[i];
    }
    return text.str();
}

// An entry's engine settings over the top-level ones (all validated by load_serve_config),
// compiled for throughput.
engine::EngineOptions engine_options(const ModelSetting& entry, const ServeConfig& config, int default_streams) {
    const auto kind = engine::engine_kind_from_string(entry.engine.value_or(config.engine));
    const auto target = engine::target_from_string(config.target);
    const auto precision = engine::precision_from_string(entry.precision.value_or(config.precision));
    if (!kind || !target || !precision) throw std::runtime_error("unknown engine, target or precision");
    engine::EngineOptions options;
    options.engine = *kind;
    options.target = *target;
    options.precision = *precision;
    options.hint = engine::PerformanceHint::throughput;
    options.streams = entry.streams.value_or(default_streams);
    options.threads = config.threads;
    options.max_batch = config.max_batch;
    return options;
}

ModelPlan plan_of(const ModelSetting& entry, const ServeConfig& config, int default_streams) {
    ModelPlan plan;
    plan.name = entry.name;
    plan.path = entry.path;
    plan.engine = engine_options(entry, config, default_streams);
    plan.threshold = entry.threshold ? entry.threshold : config.threshold;
    plan.iou_threshold = entry.iou_threshold ? entry.iou_threshold : config.iou_threshold;
    plan.max_detections = entry.max_detections ? entry.max_detections : config.max_detections;
    plan.nms = entry.nms.value_or(config.nms);
    return plan;
}

detect::DecodeOptions decode_defaults(const detect::ModelSpec& spec, const ModelPlan& plan) {
    detect::DecodeOptions d = detect::decode_options(spec);
    if (plan.threshold) d.score_threshold = static_cast<float>(*plan.threshold);
    if (plan.iou_threshold) d.iou_threshold = static_cast<float>(*plan.iou_threshold);
    if (plan.max_detections) d.max_detections = *plan.max_detections;
    if (const auto mode = detect::nms_mode_from_string(plan.nms)) d.nms = *mode;
    return d;
}

// Every pipeline's arena, plus one more of the largest for the reload that builds a model beside
// the one it replaces (oneTBB takes the smallest max_allowed_parallelism of all pipelines, so each
// must ask for the whole process's).
int thread_budget(const std::vector<ModelPlan>& plans) {
    const int workers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    int total = 0, largest = 0;
    for (const auto& plan : plans) {
        total += plan.engine.streams + workers;
        largest = std::max(largest, plan.engine.streams + workers);
    }
    return total + largest + 1;
}

}  // namespace

std::vector<ModelPlan> plan_models(const ServeConfig& config) {
    std::vector<ModelSetting> entries = config.models;
    std::vector<std::string> repository_directories(entries.size());  // "" for the list's entries
    if (!config.model_repository.empty()) {
        std::vector<RepositoryModel> repository;
        try {
            repository = scan_model_repository(config.model_repository);
        } catch (const std::exception& e) {
            throw ConfigError(std::string("model_repository: ") + e.what());
        }
        for (const auto& model : repository) {
            entries.push_back({model.name, model.path.string()});
            repository_directories.push_back((std::filesystem::path(config.model_repository) / model.name).string());
        }
    }
    if (entries.empty()) {  // the one-model form
        entries.push_back({"", config.model});
        repository_directories.emplace_back();
    }
    try {
        check_unique_names(entries);
    } catch (const ModelListError& e) {
        throw ConfigError("models" + e.key_path() + ": " + e.what() + " (counting models, then model_repository)");
    }
    const int default_streams = std::max(1, config.streams / static_cast<int>(entries.size()));
    std::vector<ModelPlan> plans;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        plans.push_back(plan_of(entries[i], config, default_streams));
        plans.back().repository_directory = repository_directories[i];
    }
    const int budget = thread_budget(plans);
    for (auto& plan : plans) plan.thread_budget = budget;
    return plans;
}

BuiltModel build_model(const ModelPlan& plan, const ServeConfig& config, server::ServiceMetrics& metrics) {
    std::string path = plan.path, version = plan.version;
    if (!plan.repository_directory.empty()) {
        const auto latest = latest_version(plan.repository_directory);
        path = latest.path.string();
        version = latest.version;
    }
    Model model = load_model(path);
    pipeline::PipelineModel pipeline_model;
    pipeline_model.preprocess = preprocess_spec(model);
    pipeline_model.spec = model.spec;
    pipeline_model.streams = compile_streams(model, plan.engine);

    const auto& engine = *pipeline_model.streams.front();
    const auto described = engine.describe();
    server::ServedModel served;
    served.name = plan.name.empty() ? model.name : plan.name;
    served.version = version;
    served.path = model.path.string();
    served.format = model.format;
    served.family = model.spec.model_type;
    served.engine = engine.engine_name();
    served.target = std::string(engine::to_string(engine.target()));
    served.precision = engine.precision();
    served.engine_version = described.version;
    served.device = described.device;
    served.device_name = described.device_name;
    served.hint = described.hint;
    served.batch = described.batch;
    served.threads = described.threads;
    served.cpu_isa = engine::join_isa(engine::host_cpu_isa_flags());
    served.spec_source = model.spec_source;
    served.input_shape = engine.input().shape;
    served.dynamic_batch = engine.dynamic_batch();
    served.streams = plan.engine.streams;
    served.max_batch = engine.dynamic_batch() ? config.max_batch : 1;
    served.labels = model.spec.labels;
    served.defaults = decode_defaults(model.spec, plan);

    pipeline::PipelineOptions options;
    options.max_batch = served.max_batch;
    options.max_delay = std::chrono::microseconds(config.max_delay_us);
    options.max_pixels = config.max_pixels;
    options.thread_budget = plan.thread_budget;
    options.on_batch = [&metrics, name = served.name](const pipeline::BatchRecord& batch) {
        metrics.record_batch(name, batch.size);
    };
    auto pipeline = std::make_shared<pipeline::Pipeline>(std::move(pipeline_model), options);
    pipeline->warm_up();
    return {std::move(pipeline), std::move(served)};
}

void publish_model_metrics(const server::ServedModel& served, server::ServiceMetrics& metrics) {
    metrics.set_model_info({served.name, served.format, served.engine, served.target, served.family,
                            served.precision, shape_text(served.input_shape)});
    metrics.set_engine_info({served.name, served.engine, served.engine_version, served.device, served.precision,
                             served.streams, served.threads, served.cpu_isa});
}

std::string describe(const server::ServedModel& s) {
    return s.name + " (" + s.path + ", version " + s.version + ", " + s.format + ", " + s.family + ", " + s.engine +
           " " + s.engine_version + " on " + s.device + " " + s.precision + ", " + std::to_string(s.streams) +
           " streams, " + std::to_string(s.threads) + " threads, max batch " + std::to_string(s.max_batch) +
           (s.dynamic_batch ? "" : ": fixed batch") + ")";
}

}  // namespace detserve::app
