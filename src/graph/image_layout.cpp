#include "detserve/graph/image_layout.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace detserve::graph {
namespace {

constexpr std::size_t kRank = 4;
constexpr std::int64_t kColourChannels = 3;

// "[N,H,W,C]" or "NHWC" -> the axes; nullopt for anything else ("[...]", "?", a rank other than 4).
std::optional<ImageLayout> from_letters(const std::string& text) {
    std::string letters;
    for (const char c : text)
        if (c != '[' && c != ']' && c != ',' && c != ' ') letters += c;
    if (letters.size() != kRank) return std::nullopt;
    ImageLayout layout;
    std::array<int*, 4> axes{&layout.batch, &layout.channels, &layout.height, &layout.width};
    constexpr std::string_view kLetters = "NCHW";
    for (std::size_t letter = 0; letter < kLetters.size(); ++letter) {
        const auto at = letters.find(kLetters[letter]);
        if (at == std::string::npos) return std::nullopt;
        *axes[letter] = static_cast<int>(at);
    }
    return layout;
}

// The Parameter's axis i is the legacy NCHW axis order[i].
std::optional<ImageLayout> from_old_api_map_order(const std::vector<std::int64_t>& order) {
    if (order.size() != kRank) return std::nullopt;
    ImageLayout layout;
    std::array<int*, 4> axes{&layout.batch, &layout.channels, &layout.height, &layout.width};
    std::array<bool, 4> seen{};
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (order[i] < 0 || order[i] >= static_cast<std::int64_t>(kRank) || seen[order[i]]) return std::nullopt;
        seen[order[i]] = true;
        *axes[order[i]] = static_cast<int>(i);
    }
    return layout;
}

std::optional<ImageLayout> from_shape(const Shape& shape) {
    if (shape[1] == kColourChannels) return ImageLayout{0, 1, 2, 3, {}};
    if (shape[3] == kColourChannels) return ImageLayout{0, 3, 1, 2, {}};
    return std::nullopt;
}

std::string label(const Node& parameter) { return "input '" + parameter.name + "'"; }

}  // namespace

std::string ImageLayout::name() const {
    std::string out(kRank, '?');
    out[batch] = 'N';
    out[channels] = 'C';
    out[height] = 'H';
    out[width] = 'W';
    return out;
}

ImageLayout image_layout(const Node& parameter) {
    if (parameter.outputs.empty()) throw ModelError(label(parameter) + " has no output port");
    const Port& port = parameter.outputs[0];
    if (port.shape.size() != kRank)
        throw ModelError(label(parameter) + " has shape " + shape_to_string(port.shape) +
                         ", expected an image batch [N,C,H,W] or [N,H,W,C]");
    if (!port.layout.empty()) {
        auto layout = from_letters(port.layout);
        if (layout) {
            layout->source = "its layout rt_info " + port.layout;
            return *layout;
        }
    }
    if (const RtInfo* order = parameter.rt_info.child("old_api_map_order")) {
        Attributes parsed;
        parsed.set("old_api_map_order", order->value);
        std::optional<ImageLayout> layout;
        try {
            layout = from_old_api_map_order(parsed.get_ints("old_api_map_order"));
        } catch (const ModelError&) {
        }
        if (!layout)
            throw ModelError(label(parameter) + ": rt_info old_api_map_order '" + order->value +
                             "' is not a permutation of 0, 1, 2, 3");
        layout->source = "its old_api_map_order " + order->value;
        return *layout;
    }
    auto layout = from_shape(port.shape);
    if (!layout)
        throw ModelError(label(parameter) + " has shape " + shape_to_string(port.shape) +
                         " and no layout rt_info: neither axis 1 nor axis 3 has the 3 colour channels");
    layout->source = "its shape";
    return *layout;
}

}  // namespace detserve::graph
