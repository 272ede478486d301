// The KServe v2 REST routes of a running server: health, metadata, and inference with the JPEG as a
// BYTES input, in JSON (base64) and with the binary tensor data extension (length-prefixed bytes
// after the JSON header, as Triton's and OpenVINO Model Server's clients send them).
#include <cstring>

#include "detserve/engine/engine_choice.hpp"
#include "server_process.hpp"

namespace detserve::test {
namespace {

std::string base64(const std::string& bytes) {
    static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) | (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) |
                       std::uint8_t(bytes[i + 2]);
        for (int shift : {18, 12, 6, 0}) out += digits[(n >> shift) & 63];
    }
    if (i + 1 == bytes.size()) {
        const auto n = std::uint32_t(std::uint8_t(bytes[i])) << 16;
        out += std::string{digits[(n >> 18) & 63], digits[(n >> 12) & 63], '=', '='};
    } else if (i + 2 == bytes.size()) {
        const auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) | (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8);
        out += std::string{digits[(n >> 18) & 63], digits[(n >> 12) & 63], digits[(n >> 6) & 63], '='};
    }
    return out;
}

std::string le32(std::uint32_t value) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
}

// Asserts the KServe error shape {"error": "…"} and the status; returns the message.
std::string kserve_error(const httplib::Result& result, int status) {
    if (!result) {
        ADD_FAILURE() << "no response";
        return {};
    }
    EXPECT_EQ(result->status, status) << result->body;
    const auto body = json_of(result);
    if (!body.is_object() || body.size() != 1 || !body.contains("error") || !body["error"].is_string() ||
        body["error"].get<std::string>().empty()) {
        ADD_FAILURE() << "not a KServe error body: " << result->body;
        return {};
    }
    return body["error"];
}

const nlohmann::json* output_named(const nlohmann::json& answer, const std::string& name) {
    for (const auto& output : answer["outputs"])
        if (output["name"] == name) return &output;
    ADD_FAILURE() << "no output '" << name << "' in " << answer;
    return nullptr;
}

class KServe : public SharedServerTest<KServe> {
protected:
    void SetUp() override {
        SharedServerTest::SetUp();
        dog_ = photo_bytes("dog.jpg");
        ASSERT_FALSE(dog_.empty()) << missing_photo_message("dog.jpg");
    }

    // The native answer's detections for the same image and the model's default threshold.
    nlohmann::json native_detections() {
        const auto native = json_of(client().Post("/v1/detect", dog_, "image/jpeg"));
        EXPECT_TRUE(native.contains("detections")) << native;
        return native["detections"];
    }

    // Labels in order and boxes within 1 px of the native route's.
    void expect_native_detections(const std::vector<std::string>& labels, const std::vector<float>& boxes) {
        const auto native = native_detections();
        ASSERT_EQ(labels.size(), native.size());
        ASSERT_EQ(boxes.size(), 4 * native.size());
        for (std::size_t i = 0; i < native.size(); ++i) {
            EXPECT_EQ(labels[i], native[i]["label"]) << i;
            const auto& box = native[i]["box"];
            EXPECT_NEAR(boxes[4 * i + 0], box["x_min"].get<double>(), 1.0) << i;
            EXPECT_NEAR(boxes[4 * i + 1], box["y_min"].get<double>(), 1.0) << i;
            EXPECT_NEAR(boxes[4 * i + 2], box["x_max"].get<double>(), 1.0) << i;
            EXPECT_NEAR(boxes[4 * i + 3], box["y_max"].get<double>(), 1.0) << i;
        }
    }

    std::string binary_request(const nlohmann::json& header, const std::string& tensor_bytes, std::size_t& length) {
        const std::string text = header.dump();
        length = text.size();
        return text + tensor_bytes;
    }

    std::string dog_;
};


TEST_F(KServe, ServerMetadataNamesTheBinaryExtension) {
    auto response = client().Get("/v2");
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    const auto answer = json_of(response);
    EXPECT_EQ(answer["name"], "detserve");
    EXPECT_TRUE(answer["version"].is_string());
    EXPECT_EQ(answer["extensions"], nlohmann::json::array({"binary_tensor_data"}));
}

TEST_F(KServe, HealthAndModelReadiness) {
    for (const char* path : {"/v2/health/live", "/v2/health/ready", "/v2/models/nanodet/ready",
                             "/v2/models/nanodet/versions/1/ready"}) {
        auto response = client().Get(path);
        ASSERT_TRUE(response) << path;
        EXPECT_EQ(response->status, 200) << path << ": " << response->body;
        EXPECT_TRUE(response->body.empty()) << path;
    }
    kserve_error(client().Get("/v2/models/resnet/ready"), 404);
}

TEST_F(KServe, ModelMetadataDescribesTheTensors) {
    auto response = client().Get("/v2/models/nanodet");
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    const auto answer = json_of(response);
    EXPECT_EQ(answer["name"], "nanodet");
    EXPECT_EQ(answer["versions"], nlohmann::json::array({"1"}));
    EXPECT_EQ(answer["platform"], engine::openvino_built() ? "detserve_openvino" : "detserve_opencv");
    EXPECT_EQ(answer["inputs"], nlohmann::json::parse(R"([{"name":"image","datatype":"BYTES","shape":[1]}])"));
    EXPECT_EQ(answer["outputs"], nlohmann::json::parse(R"([{"name":"boxes","datatype":"FP32","shape":[-1,4]},
                                                          {"name":"scores","datatype":"FP32","shape":[-1]},
                                                          {"name":"class_ids","datatype":"INT32","shape":[-1]},
                                                          {"name":"labels","datatype":"BYTES","shape":[-1]}])"));
    const std::string message = kserve_error(client().Get("/v2/models/resnet"), 404);
    EXPECT_NE(message.find("'resnet'"), std::string::npos) << message;
}

TEST_F(KServe, InferWithBase64JsonFindsTheDogAndTheBicycle) {
    const nlohmann::json request{
        {"id", "42"},
        {"inputs", {{{"name", "image"}, {"shape", {1}}, {"datatype", "BYTES"}, {"data", {base64(dog_)}}}}}};
    auto response = client().Post("/v2/models/nanodet/infer", request.dump(), "application/json");
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    EXPECT_EQ(response->get_header_value("Content-Type"), "application/json");
    const auto answer = json_of(response);
    EXPECT_EQ(answer["model_name"], "nanodet");
    EXPECT_EQ(answer["id"], "42");
    EXPECT_EQ(answer["parameters"]["image_width"], 768);
    EXPECT_EQ(answer["parameters"]["image_height"], 576);

    const auto* boxes = output_named(answer, "boxes");
    const auto* scores = output_named(answer, "scores");
    const auto* class_ids = output_named(answer, "class_ids");
    const auto* labels = output_named(answer, "labels");
    ASSERT_TRUE(boxes && scores && class_ids && labels);
    const auto n = (*labels)["data"].size();
    ASSERT_GE(n, 2u);
    EXPECT_EQ((*boxes)["shape"], nlohmann::json::array({n, 4}));
    EXPECT_EQ((*boxes)["datatype"], "FP32");
    EXPECT_EQ((*scores)["shape"], nlohmann::json::array({n}));
    EXPECT_EQ((*class_ids)["datatype"], "INT32");
    EXPECT_EQ((*labels)["datatype"], "BYTES");
    const auto label_list = (*labels)["data"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(label_list.begin(), label_list.end(), "bicycle"), label_list.end());
    EXPECT_EQ(label_list[0], "dog");
    EXPECT_EQ((*class_ids)["data"][0], 16);
    EXPECT_NEAR((*scores)["data"][0].get<double>(), 0.684, 0.02);  // f32 0.6845, bf16 0.6817
    expect_native_detections(label_list, (*boxes)["data"].get<std::vector<float>>());
}

TEST_F(KServe, InferWithTheBinaryExtensionAndBinaryOutputs) {
    const std::string tensor = le32(static_cast<std::uint32_t>(dog_.size())) + dog_;
    const nlohmann::json header{
        {"inputs",
         {{{"name", "image"}, {"shape", {1}}, {"datatype", "BYTES"}, {"parameters", {{"binary_data_size", tensor.size()}}}}}},
        {"outputs", {{{"name", "labels"}}, {{"name", "boxes"}, {"parameters", {{"binary_data", true}}}}}}};
    std::size_t length = 0;
    const std::string body = binary_request(header, tensor, length);
    httplib::Headers headers{{"Inference-Header-Content-Length", std::to_string(length)}};
    auto response = client().Post("/v2/models/nanodet/versions/1/infer", headers, body, "application/octet-stream");
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    ASSERT_TRUE(response->has_header("Inference-Header-Content-Length"));
    const auto json_size = std::stoul(response->get_header_value("Inference-Header-Content-Length"));
    ASSERT_LE(json_size, response->body.size());
    const auto answer = nlohmann::json::parse(response->body.substr(0, json_size));
    ASSERT_EQ(answer["outputs"].size(), 2u);
    const auto& labels = answer["outputs"][0];
    const auto& boxes = answer["outputs"][1];
    EXPECT_EQ(labels["name"], "labels");
    EXPECT_EQ(boxes["name"], "boxes");
    const auto label_list = labels["data"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(label_list.begin(), label_list.end(), "dog"), label_list.end());
    EXPECT_NE(std::find(label_list.begin(), label_list.end(), "bicycle"), label_list.end());

    const std::string tail = response->body.substr(json_size);
    ASSERT_EQ(boxes["parameters"]["binary_data_size"], tail.size());
    ASSERT_EQ(tail.size(), 16 * label_list.size());
    std::vector<float> box_values(tail.size() / 4);
    std::memcpy(box_values.data(), tail.data(), tail.size());  // little-endian FP32 on a little-endian host
    expect_native_detections(label_list, box_values);
}

TEST_F(KServe, ThresholdParameterFiltersTheDetections) {
    const nlohmann::json request{
        {"parameters", {{"threshold", 0.6}}},
        {"inputs", {{{"name", "image"}, {"shape", {1}}, {"datatype", "BYTES"}, {"data", {{{"b64", base64(dog_)}}}}}}},
        {"outputs", {{{"name", "labels"}}}}};
    auto response = client().Post("/v2/models/nanodet/infer", request.dump(), "application/json");
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    const auto answer = json_of(response);
    ASSERT_EQ(answer["outputs"].size(), 1u);
    EXPECT_EQ(answer["outputs"][0]["data"], nlohmann::json::array({"dog"}));
}

TEST_F(KServe, ErrorsFollowTheSpec) {
    const nlohmann::json request{
        {"inputs", {{{"name", "image"}, {"shape", {1}}, {"datatype", "BYTES"}, {"data", {base64(dog_)}}}}}};
    std::string message = kserve_error(client().Post("/v2/models/resnet/infer", request.dump(), "application/json"), 404);
    EXPECT_NE(message.find("'nanodet'"), std::string::npos) << message;

    message = kserve_error(client().Post("/v2/models/nanodet/infer", R"({"inputs": [)", "application/json"), 400);
    EXPECT_NE(message.find("malformed JSON"), std::string::npos) << message;

    const std::string body = request.dump();
    httplib::Headers too_long{{"Inference-Header-Content-Length", std::to_string(body.size() + 100)}};
    message = kserve_error(client().Post("/v2/models/nanodet/infer", too_long, body, "application/octet-stream"), 400);
    EXPECT_NE(message.find("larger than the body"), std::string::npos) << message;

    // A length prefix that claims more bytes than were sent.
    const nlohmann::json header{{"inputs",
                                 {{{"name", "image"},
                                   {"shape", {1}},
                                   {"datatype", "BYTES"},
                                   {"parameters", {{"binary_data_size", dog_.size() + 4}}}}}}};
    std::size_t length = 0;
    const std::string truncated = binary_request(header, le32(static_cast<std::uint32_t>(dog_.size() + 10)) + dog_, length);
    httplib::Headers headers{{"Inference-Header-Content-Length", std::to_string(length)}};
    message = kserve_error(client().Post("/v2/models/nanodet/infer", headers, truncated, "application/octet-stream"), 400);
    EXPECT_NE(message.find("runs past the end"), std::string::npos) << message;

    const nlohmann::json two_images{
        {"inputs", {{{"name", "image"}, {"shape", {2}}, {"datatype", "BYTES"}, {"data", {base64(dog_), base64(dog_)}}}}}};
    message = kserve_error(client().Post("/v2/models/nanodet/infer", two_images.dump(), "application/json"), 400);
    EXPECT_NE(message.find("one per request"), std::string::npos) << message;

    const nlohmann::json fp32{{"inputs", {{{"name", "image"}, {"shape", {1}}, {"datatype", "FP32"}, {"data", {1.0}}}}}};
    kserve_error(client().Post("/v2/models/nanodet/infer", fp32.dump(), "application/json"), 400);

    const nlohmann::json unknown_output{
        {"inputs", {{{"name", "image"}, {"shape", {1}}, {"datatype", "BYTES"}, {"data", {base64(dog_)}}}}},
        {"outputs", {{{"name", "masks"}}}}};
    kserve_error(client().Post("/v2/models/nanodet/infer", unknown_output.dump(), "application/json"), 400);

    const nlohmann::json not_an_image{
        {"inputs", {{{"name", "image"}, {"shape", {1}}, {"datatype", "BYTES"}, {"data", {base64("hello")}}}}}};
    kserve_error(client().Post("/v2/models/nanodet/infer", not_an_image.dump(), "application/json"), 415);

    kserve_error(client().Get("/v2/models/nanodet/infer"), 405);
}

}  // namespace
}  // namespace detserve::test
