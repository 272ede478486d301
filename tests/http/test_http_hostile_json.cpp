// Requests that used to stop the server or answer 500, found by a security review (issue 9):
// invalid UTF-8 in the path, a query value or a path parameter; KServe JSON nested 100 000 levels
// deep, numbers out of range and shapes whose product overflows; JPEGs whose scan is corrupt or
// cut short. Each gets its family's 4xx, and then the server still answers.
#include "server_process.hpp"

namespace detserve::test {
namespace {

constexpr const char* kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

class HostileRequests : public SharedServerTest<HostileRequests> {
protected:
    void SetUp() override {
        SharedServerTest::SetUp();
        dog_ = photo_bytes("dog.jpg");
        ASSERT_FALSE(dog_.empty()) << missing_photo_message("dog.jpg");
    }

    // The process is up and answers a normal request within 10 s.
    void expect_still_serving() {
        ASSERT_FALSE(server_->exited()) << "the server exited; its log:\n" << server_->log();
        const auto health = server_->client(std::chrono::seconds(10)).Get("/healthz");
        ASSERT_TRUE(health) << "no answer to GET /healthz after the hostile request";
        EXPECT_EQ(health->status, 200);
    }

    // A KServe infer body with one BYTES input "image" of this shape and data, and request parameters.
    static std::string kserve_body(const std::string& shape, const std::string& data,
                                   const std::string& parameters = "{}") {
        return R"({"parameters":)" + parameters + R"(,"inputs":[{"name":"image","datatype":"BYTES","shape":)" + shape +
               R"(,"data":)" + data + "}]}";
    }

    std::string dog_;
};

// Asserts a status and an error body in the KServe ({"error": "…"}) or DeepStack
// ({"success": false, "error": "…"}) shape; returns the message.
std::string family_error(const httplib::Result& result, int status, bool deepstack) {
    if (!result) {
        ADD_FAILURE() << "no response";
        return {};
    }
    EXPECT_EQ(result->status, status) << result->body.substr(0, 300);
    const auto body = json_of(result);
    const bool shape_ok = body.is_object() && body.contains("error") && body["error"].is_string() &&
                          (deepstack ? body.value("success", true) == false : body.size() == 1);
    if (!shape_ok) {
        ADD_FAILURE() << "not a " << (deepstack ? "DeepStack" : "KServe") << " error body: " << result->body;
        return {};
    }
    return body["error"];
}

std::string nested(int depth, const std::string& inner) {
    return std::string(static_cast<std::size_t>(depth), '[') + inner + std::string(static_cast<std::size_t>(depth), ']');
}

TEST_F(HostileRequests, AnInvalidUtf8PathIsA404WithTheReplacementCharacter) {
    const auto result = client().Get("/%ff");
    ASSERT_TRUE(result) << "no answer: the server died? log:\n" << server_->log();
    EXPECT_EQ(result->status, 404);
    EXPECT_EQ(error_code(result), "not_found");
    const std::string message = json_of(result)["error"]["message"];
    EXPECT_NE(message.find(std::string("GET /") + kReplacementCharacter), std::string::npos) << message;
    expect_still_serving();

    // 405 quotes the path as well, in the family's shape.
    const auto wrong_method = client().Get("/v2/models/%ff/infer");
    const auto kserve = family_error(wrong_method, 405, false);
    EXPECT_NE(kserve.find(kReplacementCharacter), std::string::npos) << kserve;
    expect_still_serving();
}

TEST_F(HostileRequests, InvalidUtf8QueryValuesArePerFamily400s) {
    for (const char* path : {"/v1/detect?classes=%ff", "/v1/detect?threshold=%c3", "/v1/detect?%ff=1"}) {
        const auto result = client().Post(path, dog_, "image/jpeg");
        ASSERT_TRUE(result) << path;
        EXPECT_EQ(result->status, 400) << path << ": " << result->body;
        EXPECT_EQ(error_code(result), "invalid_parameter") << path;
        expect_still_serving();
    }
    family_error(client().Post("/v1/vision/detection?min_confidence=%ff", dog_, "image/jpeg"), 400, true);
    expect_still_serving();
}

TEST_F(HostileRequests, InvalidUtf8PathParametersArePerFamily400s) {
    family_error(client().Post("/v1/vision/custom/%ff", dog_, "image/jpeg"), 400, true);
    expect_still_serving();
    const std::string body = kserve_body("[1]", R"(["YQ=="])");
    family_error(client().Post("/v2/models/%ff/infer", body, "application/json"), 400, false);
    family_error(client().Get("/v2/models/nanodet/versions/%ff"), 400, false);
    expect_still_serving();
}

TEST_F(HostileRequests, KServeJsonNested100000LevelsDeepIsA400InEveryField) {
    const std::string deep_string = nested(100'000, R"("YQ==")");
    const std::string deep_number = nested(100'000, "1");
    const std::vector<std::pair<std::string, std::string>> bodies = {
        {"data", kserve_body("[1]", deep_string)},
        {"shape", kserve_body(deep_number, R"(["YQ=="])")},
        {"parameters.threshold", kserve_body("[1]", R"(["YQ=="])", R"({"threshold":)" + deep_number + "}")},
    };
    for (const auto& [field, body] : bodies) {
        ASSERT_GT(body.size(), 200'000u);
        const auto message = family_error(client().Post("/v2/models/nanodet/infer", body, "application/json"), 400, false);
        EXPECT_NE(message.find("nested deeper than 64 levels"), std::string::npos) << field << ": " << message;
        expect_still_serving();
    }
}

TEST_F(HostileRequests, KServeNumbersOutOfRangeAndOverflowingShapesAre400) {
    const auto post = [&](const std::string& body) {
        return client().Post("/v2/models/nanodet/infer", body, "application/json");
    };
    EXPECT_NE(family_error(post(kserve_body("[1]", R"(["YQ=="])", R"({"threshold":1e309})")), 400, false)
                  .find("number overflow"),
              std::string::npos);
    expect_still_serving();
    EXPECT_NE(family_error(post(kserve_body("[9223372036854775807,9223372036854775807]", R"(["YQ=="])")), 400, false)
                  .find("more than 2^63 elements"),
              std::string::npos);
    expect_still_serving();
    family_error(post(kserve_body("[1]", R"(["YQ=="])", R"({"threshold":)" + nested(10, "0.5") + "}")), 400, false);
    expect_still_serving();
}

// dog.jpg with its scan cut in the middle and closed with EOI, so that only the decoder can tell.
std::string cut_mid_scan(const std::string& jpeg) {
    const auto sos = jpeg.find("\xFF\xDA");
    return jpeg.substr(0, (sos + jpeg.size()) / 2) + "\xFF\xD9";
}

// dog.jpg with an RST marker out of sequence in the middle of its scan.
std::string marker_mid_scan(std::string jpeg) {
    const auto middle = (jpeg.find("\xFF\xDA") + jpeg.size()) / 2;
    jpeg[middle] = '\xFF';
    jpeg[middle + 1] = '\xD3';
    return jpeg;
}

TEST_F(HostileRequests, ACorruptJpegScanIs400UndecodableOnEveryRoute) {
    for (const auto& jpeg : {cut_mid_scan(dog_), marker_mid_scan(dog_)}) {
        const auto native = client().Post("/v1/detect", jpeg, "image/jpeg");
        ASSERT_TRUE(native);
        EXPECT_EQ(native->status, 400) << native->body;
        EXPECT_EQ(error_code(native), "undecodable_image") << native->body;
        expect_still_serving();

        family_error(client().Post("/v1/vision/detection", jpeg, "image/jpeg"), 400, true);
        httplib::Headers headers{{"Inference-Header-Content-Length", ""}};
        const std::string header = R"({"inputs":[{"name":"image","datatype":"BYTES","shape":[1]}]})";
        headers.begin()->second = std::to_string(header.size());
        const auto message = family_error(
            client().Post("/v2/models/nanodet/infer", headers, header + jpeg, "application/octet-stream"), 400, false);
        EXPECT_NE(message.find("jpeg image cannot be decoded"), std::string::npos) << message;
        expect_still_serving();
    }
}

TEST_F(HostileRequests, ExtraneousBytesBeforeAMarkerStillDetect) {
    const auto whole = json_of(client().Post("/v1/detect", dog_, "image/jpeg"));
    ASSERT_TRUE(has_label(whole, "dog")) << whole;
    std::string padded = dog_;
    padded.insert(padded.size() - 2, std::string("\x00\x12\x34\x56", 4));  // before EOI
    const auto dht = padded.find("\xFF\xC4");
    ASSERT_NE(dht, std::string::npos);
    padded.insert(dht, "\x12\x34");  // before a DHT segment
    const auto result = client().Post("/v1/detect", padded, "image/jpeg");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200) << result->body;
    EXPECT_EQ(json_of(result)["detections"], whole["detections"]);
}

}  // namespace
}  // namespace detserve::test
