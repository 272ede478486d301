#include "detserve/app/cli.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "detserve/app/detector.hpp"
#include "detserve/app/serve_command.hpp"
#include "detserve/detect/detection_json.hpp"
#include "detserve/engine/cpu_isa.hpp"
#include "detserve/engine/opencv_engine.hpp"
#include "detserve/graph/graph_summary.hpp"
#include "detserve/graph/ir_writer.hpp"
#include "detserve/graph/tfjs_importer.hpp"
#include "detserve/image/image_decoder.hpp"

namespace detserve::app {
namespace {

constexpr const char* kDefaultModel = "models/nanodet/nanodet.xml";
constexpr std::int64_t kCliMaxPixels = 100'000'000;

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// --key value / --key=value options and positional arguments, checked against what a command takes.
struct Arguments {
    std::map<std::string, std::string> options;
    std::vector<std::string> positional;

    std::string get(const std::string& key, const std::string& fallback = "") const {
        auto it = options.find(key);
        return it == options.end() ? fallback : it->second;
    }
    bool has(const std::string& key) const { return options.count(key) != 0; }
};

Arguments parse_arguments(const std::vector<std::string>& args, const std::vector<std::string>& allowed) {
    Arguments out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.rfind("--", 0) != 0) {
            out.positional.push_back(arg);
            continue;
        }
        std::string key = arg.substr(2), value;
        const auto eq = key.find('=');
        if (eq != std::string::npos) {
            value = key.substr(eq + 1);
            key = key.substr(0, eq);
        }
        // An unknown option is reported as unknown, whether or not a value follows it.
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) throw UsageError("unknown option --" + key);
        if (eq == std::string::npos) {
            if (i + 1 >= args.size()) throw UsageError("option --" + key + " needs a value");
            value = args[++i];
        }
        out.options[key] = value;
    }
    return out;
}

double parse_number(const std::string& text, const std::string& option, double min, double max) {
    try {
        std::size_t used = 0;
        const double value = std::stod(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
        // Written so that NaN, which compares false with everything, is refused too.
        if (!(value >= min && value <= max)) {
            std::ostringstream message;
            message << "--" << option << " must be within [" << min << ", " << max << "], got '" << text << "'";
            throw UsageError(message.str());
        }
        return value;
    } catch (const std::invalid_argument&) {
        throw UsageError("--" + option + " expects a number, got '" + text + "'");
    } catch (const std::out_of_range&) {
        throw UsageError("--" + option + " is out of range: '" + text + "'");
    }
}

// --KEY, else DETSERVE_<KEY> (as for serve), else `fallback`.
std::string option_or_env(const Arguments& args, const std::string& key, const char* env, const std::string& fallback) {
    if (args.has(key)) return args.get(key);
    const char* value = std::getenv(env);
    return value && *value ? value : fallback;
}

// Compiled for latency (serve compiles for throughput).
engine::EngineOptions engine_options(const Arguments& args) {
    engine::EngineOptions options;
    const std::string target = args.get("target", "cpu");
    const auto parsed = engine::target_from_string(target);
    if (!parsed) throw UsageError("--target must be cpu, opencl or opencl_fp16, got '" + target + "'");
    options.target = *parsed;
    const std::string kind = option_or_env(args, "engine", "DETSERVE_ENGINE", "auto");
    const auto engine = engine::engine_kind_from_string(kind);
    if (!engine) throw UsageError("--engine (or DETSERVE_ENGINE) must be auto, openvino or opencv, got '" + kind + "'");
    options.engine = *engine;
    const std::string precision_name = option_or_env(args, "precision", "DETSERVE_PRECISION", "auto");
    const auto precision = engine::precision_from_string(precision_name);
    if (!precision)
        throw UsageError("--precision (or DETSERVE_PRECISION) must be auto, f32 or bf16, got '" + precision_name + "'");
    options.precision = *precision;
    return options;
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
    if (std::filesystem::is_directory(path)) throw std::runtime_error(path + ": is a directory, not an image file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open file");
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

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
    const Arguments args = parse_arguments(
        raw, {"model", "threshold", "target", "engine", "precision", "threads", "repeat", "max-detections", "dump-input"});
    if (args.positional.empty()) throw UsageError("detect needs at least one image");
    const std::string model_path = args.get("model", kDefaultModel);
    if (!args.has("model") && !std::filesystem::exists(model_path))
        throw std::runtime_error(std::string(kDefaultModel) +
                                 ": default model not found (run scripts/fetch-default-model.sh, or pass --model PATH)");
    const int repeat = static_cast<int>(parse_number(args.get("repeat", "0"), "repeat", 0, 100000));
    auto engine_settings = engine_options(args);
    if (args.has("threads")) {
        // Per forward: OpenVINO's INFERENCE_NUM_THREADS; OpenCV's (process-wide) thread count.
        engine_settings.threads = static_cast<int>(parse_number(args.get("threads"), "threads", 1, 256));
        cv::setNumThreads(engine_settings.threads);
    }
    Detector detector(load_model(model_path), engine_settings);
    auto options = detector.default_options();
    if (args.has("threshold")) options.score_threshold = static_cast<float>(parse_number(args.get("threshold"), "threshold", 0, 1));
    if (args.has("max-detections"))
        options.max_detections = static_cast<int>(parse_number(args.get("max-detections"), "max-detections", 1, 100000));

    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    int failures = 0;
    for (const auto& path : args.positional) {
        try {
            const auto start = std::chrono::steady_clock::now();
            const auto bytes = read_bytes(path);
            cv::Mat image;
            try {
                image = image::decode_image(bytes, kCliMaxPixels);
            } catch (const image::ImageError& e) {
                throw std::runtime_error(path + ": " + e.what());
            }
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
    const Arguments args = parse_arguments(raw, {"model", "engine", "precision", "target"});
    const std::string path = args.get("model", args.positional.empty() ? kDefaultModel : args.positional[0]);
    const auto options = engine_options(args);
    const Model model = load_model(path, SpecPolicy::optional);
    std::cout << "file: " << model.path.string() << " (" << model.format << ")\n";
    if (model.graph) std::cout << graph::describe_graph(*model.graph);
    std::cout << "input size: " << model.input_width << "x" << model.input_height << "\n";
    if (model.spec_source.empty())
        std::cout << "model spec: none (add a sidecar " << model.name << ".json beside the model; see docs/models.md)\n";
    else
        std::cout << "model spec (from " << model.spec_source << "):\n" << detect::model_spec_to_json(model.spec).dump(2) << "\n";
    std::cout << "cpu isa: " << engine::join_isa(engine::host_cpu_isa_flags()) << "\n" << std::flush;
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
