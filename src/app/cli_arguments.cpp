#include "cli_arguments.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "detserve/image/image_decoder.hpp"

namespace detserve::app {

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

std::string model_argument(const Arguments& args) {
    if (args.has("model")) return args.get("model");
    if (!std::filesystem::exists(kDefaultModel))
        throw std::runtime_error(std::string(kDefaultModel) +
                                 ": default model not found (run scripts/fetch-default-model.sh, or pass --model PATH)");
    return kDefaultModel;
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

namespace {

// --KEY, else DETSERVE_<KEY> (as for serve), else `fallback`.
std::string option_or_env(const Arguments& args, const std::string& key, const char* env, const std::string& fallback) {
    if (args.has(key)) return args.get(key);
    const char* value = std::getenv(env);
    return value && *value ? value : fallback;
}

}  // namespace

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
    if (args.has("threads")) options.threads = static_cast<int>(parse_number(args.get("threads"), "threads", 1, 256));
    return options;
}

cv::Mat read_image_file(const std::filesystem::path& path, std::int64_t max_pixels) {
    if (std::filesystem::is_directory(path)) throw std::runtime_error(path.string() + ": is a directory, not an image file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path.string() + ": cannot open file");
    const std::vector<std::uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
    try {
        return image::decode_image(bytes, max_pixels);
    } catch (const image::ImageError& e) {
        throw std::runtime_error(path.string() + ": " + e.what());
    }
}

}  // namespace detserve::app
