// The DeepStack / CodeProject.AI routes of a running server, replaying the requests real clients
// send: Frigate's deepstack detector (frigate/detectors/plugins/deepstack.py) and Home Assistant's
// deepstack_object / codeproject_ai_object integrations (deepstack-python, codeprojectai). All of
// them post with python-requests: `data={…}` text fields first, then `files={"image": bytes}`,
// which requests sends as a part named and filenamed "image" without a Content-Type.
#include "server_process.hpp"

namespace detserve::test {
namespace {

// What python-requests puts on the wire for requests.post(url, data=fields, files={"image": jpeg}).
const std::string kBoundary = "3d6b6a416f9b4a1c8c2e5f0a9d7e1b24";  // requests: 32 random hex digits

std::string requests_multipart(const std::vector<std::pair<std::string, std::string>>& fields,
                               const std::string& image) {
    std::string body;
    for (const auto& [name, value] : fields)
        body += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    body += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"image\"\r\n\r\n";
    body += image + "\r\n--" + kBoundary + "--\r\n";
    return body;
}

const httplib::Headers kRequestsHeaders{{"User-Agent", "python-requests/2.31.0"},
                                        {"Accept-Encoding", "gzip, deflate"},
                                        {"Accept", "*/*"},
                                        {"Connection", "keep-alive"}};

// Asserts the DeepStack error shape and a 4xx status; returns the message.
std::string deepstack_error(const httplib::Result& result, int status) {
    if (!result) {
        ADD_FAILURE() << "no response";
        return {};
    }
    EXPECT_EQ(result->status, status) << result->body;
    const auto body = json_of(result);
    if (!body.is_object() || body.value("success", true) != false || !body.contains("error") ||
        !body["error"].is_string() || body["error"].get<std::string>().empty()) {
        ADD_FAILURE() << "not a DeepStack error body: " << result->body;
        return {};
    }
    return body["error"];
}

std::vector<std::string> prediction_labels(const nlohmann::json& answer) {
    std::vector<std::string> labels;
    for (const auto& p : answer["predictions"]) labels.push_back(p["label"]);
    return labels;
}

bool contains(const std::vector<std::string>& labels, const std::string& label) {
    return std::find(labels.begin(), labels.end(), label) != labels.end();
}

class DeepStack : public SharedServerTest<DeepStack> {
protected:
    void SetUp() override {
        SharedServerTest::SetUp();
        dog_ = photo_bytes("dog.jpg");
        ASSERT_FALSE(dog_.empty()) << missing_photo_message("dog.jpg");
    }

    httplib::Result post_like_requests(const std::string& path,
                                       const std::vector<std::pair<std::string, std::string>>& fields) {
        return client().Post(path.c_str(), kRequestsHeaders, requests_multipart(fields, dog_),
                             ("multipart/form-data; boundary=" + kBoundary).c_str());
    }

    std::string dog_;
};


TEST_F(DeepStack, FrigateRequestGetsPredictionsSortedByConfidence) {
    // DeepStack.detect_raw: data={"api_key": ""} (the default key), files={"image": jpeg}.
    auto response = post_like_requests("/v1/vision/detection", {{"api_key", ""}});
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    EXPECT_EQ(response->get_header_value("Content-Type"), "application/json");
    const auto answer = json_of(response);
    EXPECT_EQ(answer["success"], true);
    const auto& predictions = answer["predictions"];
    ASSERT_TRUE(predictions.is_array());
    ASSERT_FALSE(predictions.empty());
    EXPECT_EQ(answer["count"], predictions.size());
    for (const char* field : {"inferenceMs", "processMs", "analysisRoundTripMs", "duration"})
        EXPECT_TRUE(answer[field].is_number_integer()) << field;
    EXPECT_GT(answer["inferenceMs"].get<int>(), 0);

    double previous = 1.0;
    for (const auto& p : predictions) {
        ASSERT_TRUE(p["confidence"].is_number_float()) << p;
        const double confidence = p["confidence"];
        EXPECT_LE(confidence, previous) << "not sorted by confidence: " << predictions;
        EXPECT_GE(confidence, 0.4) << "under DeepStack's default min_confidence";
        previous = confidence;
        for (const char* corner : {"x_min", "y_min", "x_max", "y_max"})
            ASSERT_TRUE(p[corner].is_number_integer()) << corner << " in " << p;
        EXPECT_GE(p["x_min"].get<int>(), 0);
        EXPECT_GE(p["y_min"].get<int>(), 0);
        EXPECT_LT(p["x_min"].get<int>(), p["x_max"].get<int>());
        EXPECT_LT(p["y_min"].get<int>(), p["y_max"].get<int>());
        EXPECT_LE(p["x_max"].get<int>(), 768);
        EXPECT_LE(p["y_max"].get<int>(), 576);
    }
    // Frigate reads until the first prediction under 0.4 and maps labels to its COCO label map.
    std::vector<std::string> read;
    for (const auto& p : predictions) {
        if (p["confidence"].get<double>() < 0.4) break;
        read.push_back(p["label"]);
    }
    EXPECT_TRUE(contains(read, "bicycle"));
    EXPECT_TRUE(contains(read, "dog"));
    EXPECT_EQ(predictions[0]["label"], "dog");

    // The same boxes as the native route, rounded to whole pixels.
    const auto native = json_of(client().Post("/v1/detect?threshold=0.4", dog_, "image/jpeg"));
    ASSERT_EQ(native["detections"].size(), predictions.size()) << native;
    for (std::size_t i = 0; i < predictions.size(); ++i)
        for (const char* corner : {"x_min", "y_min", "x_max", "y_max"})
            EXPECT_NEAR(predictions[i][corner].get<double>(), native["detections"][i]["box"][corner].get<double>(), 0.51)
                << corner << " of prediction " << i;
}

TEST_F(DeepStack, HomeAssistantRequestWithMinConfidenceKeepsOnlyTheDog) {
    // codeprojectai.core.process_image: data={"api_key": key, "min_confidence": 0.6}.
    auto response = post_like_requests("/v1/vision/detection", {{"api_key", "secret-key"}, {"min_confidence", "0.6"}});
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    const auto answer = json_of(response);
    EXPECT_EQ(answer["success"], true);
    EXPECT_EQ(prediction_labels(answer), std::vector<std::string>{"dog"});
    EXPECT_EQ(answer["count"], 1);
    EXPECT_EQ(answer["message"], "Found dog");
}

TEST_F(DeepStack, MinConfidenceAlsoWorksAsAQueryParameter) {
    auto response = client().Post("/v1/vision/detection?min_confidence=0.95", kRequestsHeaders,
                                  requests_multipart({}, dog_), ("multipart/form-data; boundary=" + kBoundary).c_str());
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    const auto answer = json_of(response);
    EXPECT_EQ(answer["success"], true);
    EXPECT_TRUE(answer["predictions"].empty());
    EXPECT_EQ(answer["count"], 0);
}

TEST_F(DeepStack, CustomModelAnswersUnderTheServedName) {
    // deepstack-python with custom_model="nanodet" posts to /v1/vision/custom/nanodet.
    auto response = post_like_requests("/v1/vision/custom/nanodet", {{"api_key", ""}, {"min_confidence", "0.4"}});
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    const auto answer = json_of(response);
    EXPECT_EQ(answer["success"], true);
    EXPECT_TRUE(contains(prediction_labels(answer), "dog"));
    EXPECT_TRUE(contains(prediction_labels(answer), "bicycle"));

    auto unknown = post_like_requests("/v1/vision/custom/ipcam-combined", {{"api_key", ""}});
    const std::string message = deepstack_error(unknown, 404);
    EXPECT_NE(message.find("ipcam-combined"), std::string::npos) << message;
    EXPECT_NE(message.find("'nanodet'"), std::string::npos) << message;
}

TEST_F(DeepStack, CustomListAnswersTheServedModel) {
    httplib::MultipartFormDataItems items{{"api_key", "", "", ""}};
    auto response = client().Post("/v1/vision/custom/list", items);
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    const auto answer = json_of(response);
    EXPECT_EQ(answer["success"], true);
    EXPECT_EQ(answer["models"], nlohmann::json::array({"nanodet"}));
}

TEST_F(DeepStack, Ping) {
    auto response = client().Get("/v1/status/ping");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(json_of(response)["success"], true);
}

TEST_F(DeepStack, ErrorsAnswerSuccessFalse) {
    httplib::MultipartFormDataItems no_image{{"api_key", "", "", ""}, {"min_confidence", "0.5", "", ""}};
    const std::string missing = deepstack_error(client().Post("/v1/vision/detection", no_image), 400);
    EXPECT_NE(missing.find("'image'"), std::string::npos) << missing;

    httplib::MultipartFormDataItems not_an_image{{"image", "hello, world", "image", ""}};
    deepstack_error(client().Post("/v1/vision/detection", not_an_image), 415);

    httplib::MultipartFormDataItems bad_confidence{{"image", dog_, "image", ""}, {"min_confidence", "high", "", ""}};
    const std::string bad = deepstack_error(client().Post("/v1/vision/detection", bad_confidence), 400);
    EXPECT_NE(bad.find("min_confidence"), std::string::npos) << bad;

    deepstack_error(client().Get("/v1/vision/detection"), 405);
    deepstack_error(client().Get("/v1/vision/scene"), 404);
}

}  // namespace
}  // namespace detserve::test
