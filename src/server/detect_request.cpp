#include "detect_request.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "request_text.hpp"

namespace detserve::server {
namespace {

std::string media_type(const httplib::Request& request) {
    std::string type = request.get_header_value("Content-Type");
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
    return type;
}

pipeline::ImageBytes shared_bytes(std::string bytes) {
    auto buffer = std::make_shared<const std::string>(std::move(bytes));
    return {buffer, 0, buffer->size()};
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::stringstream stream(text);
    for (std::string item; std::getline(stream, item, ',');) {
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) items.push_back(item);
    }
    return items;
}

int class_id(const std::string& item, const detect::LabelMap& labels) {
    if (const int id = labels.id_of(item); id >= 0) return id;
    int id = -1;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
    if (ec == std::errc() && end == item.data() + item.size() && id >= 0 && id < static_cast<int>(labels.size()))
        return id;
    throw ApiError(400, "unknown_class",
                   "classes: '" + item + "' is neither a label of this model nor a class id in [0, " +
                       std::to_string(labels.size()) + "); see GET /v1/models for the labels");
}

}  // namespace

std::vector<pipeline::ImageBytes> images_from_request(const httplib::Request& request, const std::string& field,
                                                      int max_images) {
    const std::string type = media_type(request);
    std::vector<pipeline::ImageBytes> images;
    if (type == "multipart/form-data") {
        const auto count = request.files.count(field);
        if (count == 0) {
            std::string found;
            for (const auto& [name, part] : request.files) found += (found.empty() ? "'" : ", '") + name + "'";
            throw ApiError(400, "missing_image",
                           "multipart body has no '" + field + "' field" +
                               (found.empty() ? std::string() : " (fields: " + found + ")"));
        }
        if (count > static_cast<std::size_t>(max_images))
            throw ApiError(413, "too_many_images",
                           std::to_string(count) + " images in one request; the limit is " + std::to_string(max_images));
        const auto [first, last] = request.files.equal_range(field);
        for (auto it = first; it != last; ++it) images.push_back(shared_bytes(it->second.content));
        return images;
    }
    if (type == "image/jpeg" || type == "image/png" || type == "application/octet-stream" || type == "image/jpg") {
        if (request.body.empty()) throw ApiError(400, "empty_body", "the request body is empty; send the image bytes");
        images.push_back(shared_bytes(request.body));
        return images;
    }
    throw ApiError(415, "unsupported_media_type",
                   "Content-Type '" + (type.empty() ? std::string("(none)") : type) +
                       "' is not accepted; send image/jpeg, image/png or multipart/form-data with an '" + field +
                       "' field");
}

double parse_number_param(const std::string& name, const std::string& text, double min, double max) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
        throw ApiError(400, "invalid_parameter", name + ": expected a number, got '" + text + "'");
    if (value < min || value > max) {
        std::ostringstream message;
        message << name << ": must be within [" << min << ", " << max << "], got " << text;
        throw ApiError(400, "invalid_parameter", message.str());
    }
    return value;
}

pipeline::RequestOptions options_from_query(const httplib::Request& request, const detect::DecodeOptions& defaults,
                                            const detect::LabelMap& labels, const std::vector<std::string>& extra) {
    require_utf8_request(request);
    static const std::vector<std::string> known = {"threshold", "max_detections", "classes"};
    for (const auto& [name, value] : request.params) {
        if (std::find(known.begin(), known.end(), name) != known.end()) continue;
        if (std::find(extra.begin(), extra.end(), name) != extra.end()) continue;
        std::string accepted;
        for (const auto& k : known) accepted += (accepted.empty() ? "" : ", ") + k;
        for (const auto& k : extra) accepted += ", " + k;
        throw ApiError(400, "unknown_parameter", "unknown query parameter '" + name + "' (accepted: " + accepted + ")");
    }
    pipeline::RequestOptions options;
    options.decode = defaults;
    if (request.has_param("threshold"))
        options.decode.score_threshold =
            static_cast<float>(parse_number_param("threshold", request.get_param_value("threshold"), 0, 1));
    if (request.has_param("max_detections")) {
        const double n = parse_number_param("max_detections", request.get_param_value("max_detections"), 1, 10000);
        if (n != std::floor(n))
            throw ApiError(400, "invalid_parameter",
                           "max_detections: expected an integer, got '" + request.get_param_value("max_detections") + "'");
        options.decode.max_detections = static_cast<int>(n);
    }
    if (request.has_param("classes")) {
        for (const auto& item : split_list(request.get_param_value("classes")))
            options.classes.push_back(class_id(item, labels));
        if (options.classes.empty())
            throw ApiError(400, "invalid_parameter", "classes: empty list; give labels such as classes=dog,person");
    }
    return options;
}

}  // namespace detserve::server
