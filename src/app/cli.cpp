#include "detserve/app/cli.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli_arguments.hpp"
#include "detserve/app/detector.hpp"
#include "detserve/app/eval_command.hpp"
#include "detserve/app/serve_command.hpp"
#include "detserve/detect/detection_json.hpp"
#include "detserve/engine/cpu_isa.hpp"
#include "detserve/engine/opencv_engine.hpp"
#include "detserve/graph/graph_summary.hpp"
#include "detserve/graph/ir_writer.hpp"
#include "detserve/graph/tfjs_importer.hpp"

namespace detserve::app {
namespace {

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The exact tensor the engine sees (raw little-endian float32, NCHW): for comparing runtimes.
void write_input_tensor(const Detector& detector, const cv::Mat& image, const std::string& path) {
    std::vector<detect::InputTransform> transforms;
    const Tensor input = detector.make_batch({image}, transforms);
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(input.data.data()), static_cast<std::streamsize>(input.data.size() * sizeof(float)));
    if (!out) throw std::runtime_error(path + ": cannot write the input tensor");
    std::cerr << "wrote input tensor " << path << " shape [1,3," << input.shape[2] << "," << input.shape[3] << "]\n";
}

int command_detect(const std::vector<std::string>& raw) {
    std::vector<std::string> allowed{"model", "threshold", "repeat", "max-detections", "dump-input"};
    allowed.insert(allowed.end(), kEngineOptions.begin(), kEngineOptions.end());
    const Arguments args = parse_arguments(raw, allowed);
    if (args.positional.empty()) throw UsageError("detect needs at least one image");
    const std::string model_path = model_argument(args);
    const int repeat = static_cast<int>(parse_number(args.get("repeat", "0"), "repeat", 0, 100000));
    Detector detector(load_model(model_path), engine_options(args));
    auto options = detector.default_options();
    if (args.has("threshold")) options.score_threshold = static_cast<float>(parse_number(args.get("threshold"), "threshold", 0, 1));
    if (args.has("max-detections"))
        options.max_detections = static_cast<int>(parse_number(args.get("max-detections"), "max-detections", 1, 100000));

    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    int failures = 0;
    for (const auto& path : args.positional) {
        try {
            const auto start = std::chrono::steady_clock::now();
            const cv::Mat image = read_image_file(path);
            const double decode_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
            auto result = detector.detect({image}, options).at(0);
            result.timing_ms["decode"] = decode_ms;
            result.timing_ms["total"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
            nlohmann::ordered_json answer{{"model", detector.model().name},
                                  {"image", {{"file", path}, {"width", result.width}, {"height", result.height}}},
                                  {"detections", detect::detections_to_json(result.detections)},
                                  {"timing_ms", result.timing_ms},
                                  {"batch_size", result.batch_size}};
            if (args.has("dump-input")) write_input_tensor(detector, image, args.get("dump-input"));
            if (repeat > 0) {
                std::vector<detect::InputTransform> transforms;
                const Tensor input = detector.make_batch({image}, transforms);
                std::vector<double> times;
                for (int i = 0; i < repeat; ++i) {
                    const auto t0 = std::chrono::steady_clock::now();
                    detector.engine().infer(input);
                    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
                }
                answer["forward_median_ms"] = median(times);
                std::cerr << path << ": forward median " << median(times) << " ms over " << repeat << " runs ("
                          << engine::summary(detector.engine().describe()) << ")\n";
            }
            results.push_back(std::move(answer));
        } catch (const std::exception& e) {
            std::cerr << "detserve detect: " << e.what() << "\n";
            ++failures;
        }
    }
    if (results.size() == 1) std::cout << results[0].dump(2) << "\n";
    else if (!results.empty()) std::cout << nlohmann::ordered_json{{"results", results}}.dump(2) << "\n";
    return failures ? 1 : 0;
}

int command_convert(const std::vector<std::string>& raw) {
    const Arguments args = parse_arguments(raw, {"tfjs", "spec", "out"});
    if (!args.has("tfjs") || !args.has("out")) throw UsageError("convert needs --tfjs MODEL.json and --out MODEL.xml");
    const auto start = std::chrono::steady_clock::now();
    std::cerr << "reading " << args.get("tfjs") << "\n";
    graph::Graph graph = graph::import_tfjs_graph_model(args.get("tfjs"));
    const std::filesystem::path out = args.get("out");
    graph.name = out.stem().string();
    if (args.has("spec")) {
        const std::filesystem::path spec_path = args.get("spec");
        std::ifstream in(spec_path);
        if (!in) throw std::runtime_error(spec_path.string() + ": cannot open model spec");
        try {
            store_spec_in_rt_info(detect::model_spec_from_json(nlohmann::json::parse(in), spec_path.parent_path().string()), graph);
        } catch (const std::exception& e) {
            throw std::runtime_error(spec_path.string() + ": " + e.what());
        }
    }
    graph.rt_info.set("conversion_parameters/framework", "tfjs");
    graph.rt_info.set("conversion_parameters/input_model", std::filesystem::path(args.get("tfjs")).filename().string());
    graph.rt_info.set("conversion_parameters/converter", "detserve");
    graph::write_ir(graph, out);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto bin = out;
    bin.replace_extension(".bin");
    std::cerr << "wrote " << out.string() << " and " << bin.string() << " (" << graph.nodes().size() << " layers) in "
              << seconds << " s\n";
    return 0;
}

int command_info(const std::vector<std::string>& raw) {
    std::vector<std::string> allowed{"model"};
    allowed.insert(allowed.end(), kEngineOptions.begin(), kEngineOptions.end());
    const Arguments args = parse_arguments(raw, allowed);
    const std::string path = args.get("model", args.positional.empty() ? kDefaultModel : args.positional[0]);
    const auto options = engine_options(args);
    const Model model = load_model(path, SpecPolicy::optional);
    std::cout << "file: " << model.path.string() << " (" << model.format << ")\n";
    if (model.graph) std::cout << graph::describe_graph(*model.graph);
    if (model.missing_weights)
        std::cout << "weights: " << model.missing_weights->string()
                  << " does not exist: described from the .xml alone; detect and serve refuse it\n";
    std::cout << "input size: " << model.input_width << "x" << model.input_height
              << (model.input_layout.empty() ? "" : ", " + model.input_layout) << "\n";
    if (model.spec_source.empty()) {
        std::cout << "model spec: none (add a sidecar " << model.name << ".json beside the model; see docs/models.md)\n";
    } else {
        std::cout << "family: " << model.spec.model_type << " (" << model.family_reason << ")\n";
        std::cout << "model spec (from " << model.spec_source << "):\n" << detect::model_spec_to_json(model.spec).dump(2) << "\n";
        std::cout << "where each field came from:\n";
        for (const auto& [key, origin] : model.spec_origins) std::cout << "  " << key << ": " << origin << "\n";
    }
    for (const auto& warning : model.spec_warnings) std::cout << "warning: " << warning << "\n";
    std::cout << "cpu isa: " << engine::join_isa(engine::host_cpu_isa_flags()) << "\n" << std::flush;
    if (model.missing_weights) return 1;  // nothing to compile
    // Compiled after the description is out: a model the engine rejects is still described.
    const auto compiled = compile_model(model, options);
    std::cout << "engine: " << engine::summary(compiled->describe()) << "\n";
    return 0;
}

void print_usage(std::ostream& out) {
    out << "usage: detserve <command> [options]\n\n"
           "commands:\n"
           "  serve [--config FILE] [--KEY VALUE]...\n"
           "                                    run the HTTP service (every setting: detserve serve --help,\n"
           "                                    docs/configuration.md)\n"
           "  detect IMAGE... [--model PATH] [--threshold T] [--max-detections N] [--engine auto|openvino|opencv]\n"
           "                  [--precision auto|f32|bf16] [--target cpu|opencl|opencl_fp16] [--threads N]\n"
           "                  [--repeat N] [--dump-input FILE.f32]\n"
           "                                    print detections as JSON (default model: "
        << kDefaultModel
        << ")\n"
           "  eval --model PATH --images DIR (--labels DIR [--names FILE] | --coco FILE) [--json OUT]\n"
           "       [--class-map LABEL=CLASS,...] [--score-threshold T] [--iou-threshold T]\n"
           "       [--nms class_wise|agnostic] [--engine ...]\n"
           "       [--save-predictions FILE] [--save-ground-truth FILE]\n"
           "  eval --coco FILE --predictions RESULTS.json [--json OUT]\n"
           "                                    COCO box metrics (mAP@[.5:.95], mAP@.5, ..., per class) on\n"
           "                                    labelled photos, or of a COCO results file\n"
           "  info [--model PATH] [--engine E] [--precision P] [--target T]\n"
           "                                    describe a model: inputs, outputs, ops, model spec, and the\n"
           "                                    engine that runs it (compiled: precision, streams, threads)\n"
           "  convert --tfjs MODEL.json --out MODEL.xml [--spec SPEC.json]\n"
           "                                    convert a TFJS graph model to OpenVINO IR\n"
           "  help                              this text\n";
}

using Command = int (*)(const std::vector<std::string>&);

const std::map<std::string, Command>& commands() {
    static const std::map<std::string, Command> table{
        {"detect", command_detect},
        {"eval", command_eval},
        {"convert", command_convert},
        {"info", command_info},
        {"serve", command_serve},
    };
    return table;
}

}  // namespace

int run_cli(int argc, char** argv) {
    if (argc < 2) {
        print_usage(std::cerr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "help" || name == "--help" || name == "-h") {
        print_usage(std::cout);
        return 0;
    }
    const auto& table = commands();
    auto it = table.find(name);
    if (it == table.end()) {
        std::cerr << "detserve: unknown command '" << name << "'\n";
        print_usage(std::cerr);
        return 2;
    }
    try {
        return it->second(std::vector<std::string>(argv + 2, argv + argc));
    } catch (const UsageError& e) {
        std::cerr << "detserve " << name << ": " << e.what() << " (see 'detserve help')\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "detserve " << name << ": " << e.what() << "\n";
        return 1;
    }
}

}  // namespace detserve::app
