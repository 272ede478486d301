#include "detserve/engine/engine.hpp"

namespace detserve::engine {

std::string summary(const EngineDescription& d) {
    std::string out = d.engine + " " + d.version + " on " + d.device;
    if (!d.device_name.empty()) out += " (" + d.device_name + ")";
    out += ": " + d.precision + ", " + std::to_string(d.streams) + (d.streams == 1 ? " stream, " : " streams, ") +
           std::to_string(d.threads) + (d.threads == 1 ? " thread" : " threads");
    if (!d.hint.empty()) out += ", " + d.hint + " hint";
    if (!d.batch.empty()) out += ", batch " + d.batch;
    return out;
}

}  // namespace detserve::engine
