// KServe v2 bodies without a server: the binary tensor data extension's split and BYTES elements,
// the JSON request, and the response in JSON and binary form.
#include <gtest/gtest.h>

#include <cstring>

#include "../../src/server/kserve_codec.hpp"

namespace detserve::server::kserve {
namespace {

using nlohmann::json;

std::string le32(std::uint32_t value) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
}

// The status and message of the ApiError `f` throws.
template <typename F>
std::pair<int, std::string> api_error_of(F&& f) {
    try {
        f();
    } catch (const ApiError& e) {
        return {e.status(), e.what()};
    }
    ADD_FAILURE() << "no ApiError thrown";
    return {0, ""};
}

const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "not really a jpeg" + std::string("\xFF\xD9", 2);

TEST(ServerKServeCodec, SplitsTheBodyAtTheHeaderLength) {
    const std::string body = R"({"a":1})" + std::string("BIN");
    const auto parts = split_body(body, std::string("7"));
    EXPECT_EQ(parts.json, R"({"a":1})");
    EXPECT_EQ(parts.binary, "BIN");
    const auto whole = split_body(body, std::nullopt);
    EXPECT_EQ(whole.json, body);
    EXPECT_TRUE(whole.binary.empty());
    EXPECT_EQ(split_body(body, std::string(" 10 ")).binary, "");
}

TEST(ServerKServeCodec, HeaderLengthPastTheBodyOrNotANumberIs400) {
    const std::string body = "{}";
    auto [status, message] = api_error_of([&] { split_body(body, std::string("3")); });
    EXPECT_EQ(status, 400);
    EXPECT_NE(message.find("larger than the body (2 bytes)"), std::string::npos) << message;
    std::tie(status, message) = api_error_of([&] { split_body(body, std::string("1x")); });
    EXPECT_EQ(status, 400);
    EXPECT_NE(message.find("Inference-Header-Content-Length"), std::string::npos) << message;
    EXPECT_EQ(api_error_of([&] { split_body(body, std::string("-1")); }).first, 400);
    EXPECT_EQ(api_error_of([&] { split_body(body, std::string("")); }).first, 400);
}

TEST(ServerKServeCodec, BytesElementsRoundTrip) {
    const std::vector<std::string> elements{"abc", "", std::string("\0\x01", 2)};
    const std::string encoded = encode_bytes_elements(elements);
    EXPECT_EQ(encoded, le32(3) + "abc" + le32(0) + le32(2) + std::string("\0\x01", 2));
    const auto decoded = decode_bytes_elements(encoded);
    ASSERT_EQ(decoded.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(decoded[i], elements[i]);
    EXPECT_TRUE(decode_bytes_elements("").empty());
}

TEST(ServerKServeCodec, TruncatedPrefixOrLengthPastTheEndIsAnError) {
    try {
        decode_bytes_elements(le32(3) + "abc" + std::string("\x05\x00", 2));
        FAIL() << "a 2-byte prefix was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("element 1: its 4-byte length prefix is cut short (2 bytes left)"),
                  std::string::npos)
            << e.what();
    }
    try {
        decode_bytes_elements(le32(10) + "abc");
        FAIL() << "a length past the end was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("element 0: length 10 runs past the end (3 bytes left)"), std::string::npos)
            << e.what();
    }
    // 0xFFFFFFFF must not wrap around.
    EXPECT_THROW(decode_bytes_elements(le32(0xFFFFFFFFu) + "abc"), std::invalid_argument);
}

TEST(ServerKServeCodec, Base64IsStrict) {
    EXPECT_EQ(base64_decode("aGVsbG8="), "hello");
    EXPECT_EQ(base64_decode("aGVsbG8"), "hello");
    EXPECT_EQ(base64_decode("/9j/"), "\xFF\xD8\xFF");
    EXPECT_EQ(base64_decode(""), "");
    EXPECT_THROW(base64_decode("aGVs bG8="), std::invalid_argument);
    EXPECT_THROW(base64_decode("a"), std::invalid_argument);
    EXPECT_THROW(base64_decode("aGVsbG8=="), std::invalid_argument);
    EXPECT_THROW(base64_decode("===="), std::invalid_argument);
}

TEST(ServerKServeCodec, ParsesAJsonRequestWithBase64Bytes) {
    const std::string text = R"({"id":"42","parameters":{"threshold":0.5},
        "inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["aGVsbG8="]}],
        "outputs":[{"name":"labels"},{"name":"boxes","parameters":{"binary_data":true}}]})";
    const auto request = parse_infer_request(text, "");
    EXPECT_EQ(request.id, "42");
    EXPECT_EQ(request.parameters["threshold"], 0.5);
    EXPECT_FALSE(request.binary_data_output);
    ASSERT_EQ(request.inputs.size(), 1u);
    EXPECT_EQ(request.inputs[0].name, "image");
    EXPECT_EQ(request.inputs[0].shape, std::vector<std::int64_t>{1});
    EXPECT_EQ(request.inputs[0].elements, std::vector<std::string>{"hello"});
    ASSERT_EQ(request.outputs.size(), 2u);
    EXPECT_EQ(request.outputs[0].name, "labels");
    EXPECT_FALSE(request.outputs[0].binary.has_value());
    EXPECT_EQ(request.outputs[1].binary, true);
}

TEST(ServerKServeCodec, AcceptsB64ObjectsAndNestedData) {
    const auto request = parse_infer_request(
        R"({"inputs":[{"name":"image","shape":[2,1],"datatype":"BYTES","data":[[{"b64":"YQ=="}],["Yg=="]]}]})", "");
    EXPECT_EQ(request.inputs[0].elements, (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(request.id.has_value());
}

TEST(ServerKServeCodec, TakesBinaryInputsInOrder) {
    const std::string first = encode_bytes_elements({kJpeg});
    const std::string second = encode_bytes_elements({"xy", "z"});
    const std::string header = R"({"inputs":[
        {"name":"a","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":)" +
                               std::to_string(first.size()) + R"(}},
        {"name":"b","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":)" +
                               std::to_string(second.size()) + R"(}}],
        "parameters":{"binary_data_output":true}})";
    const std::string body = header + first + second;
    const auto parts = split_body(body, std::to_string(header.size()));
    const auto request = parse_infer_request(parts.json, parts.binary);
    ASSERT_EQ(request.inputs.size(), 2u);
    EXPECT_EQ(request.inputs[0].elements, std::vector<std::string>{kJpeg});
    EXPECT_EQ(request.inputs[1].elements, (std::vector<std::string>{"xy", "z"}));
    EXPECT_TRUE(request.binary_data_output);
}

TEST(ServerKServeCodec, ASingleInputWithoutSizeTakesTheWholeTail) {
    const std::string header = R"({"inputs":[{"name":"image","shape":[1],"datatype":"BYTES"}]})";
    // Length-prefixed, as Triton's client sends it ...
    EXPECT_EQ(parse_infer_request(header, encode_bytes_elements({kJpeg})).inputs[0].elements,
              std::vector<std::string>{kJpeg});
    // ... or the raw image, as OpenVINO Model Server also accepts.
    EXPECT_EQ(parse_infer_request(header, kJpeg).inputs[0].elements, std::vector<std::string>{kJpeg});
    // Neither: a prefix that runs past the end is reported, not taken for an image.
    const auto [status, message] =
        api_error_of([&] { parse_infer_request(header, le32(100) + "short"); });
    EXPECT_EQ(status, 400);
    EXPECT_NE(message.find("length 100 runs past the end"), std::string::npos) << message;
}

TEST(ServerKServeCodec, MalformedRequestsNameTheField) {
    const auto message_of = [](const std::string& text, std::string_view binary = {}) {
        const auto [status, message] = api_error_of([&] { parse_infer_request(text, binary); });
        EXPECT_EQ(status, 400) << text;
        return message;
    };
    EXPECT_NE(message_of(R"({"inputs": [)").find("malformed JSON: parse error at line 1"), std::string::npos);
    EXPECT_NE(message_of("[]").find("JSON object"), std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[]})").find("inputs must be a non-empty array"), std::string::npos);
    EXPECT_NE(message_of(R"({"id":7,"inputs":[]})").find("id must be a string"), std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"image","shape":[1],"datatype":"FP32","data":[1]}]})")
                  .find("inputs[0] ('image'): datatype 'FP32' is not accepted"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","data":["YQ=="]}]})")
                  .find("shape [2] holds 2 elements, the data has 1"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["%%"]}]})")
                  .find("data[0] is not base64"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":[3]}]})")
                  .find("data[0] must be a base64 string"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"image","shape":[-1],"datatype":"BYTES","data":[]}]})")
                  .find("non-negative integers"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"image","shape":[1],"datatype":"BYTES",
                              "parameters":{"binary_data_size":10}}]})")
                  .find("binary_data_size 10 runs past the end of the body (0 bytes of binary data left; is the "
                        "Inference-Header-Content-Length header missing?)"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"image","shape":[1],"datatype":"BYTES",
                              "parameters":{"binary_data_size":7}}]})",
                         le32(3) + "abcXY")
                  .find("2 bytes of binary data follow"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"a","shape":[1],"datatype":"BYTES","data":["YQ=="]},
                                       {"name":"b","shape":[1],"datatype":"BYTES"}]})")
                  .find("inputs[1] ('b'): has neither data nor parameters.binary_data_size"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["YQ=="]}],
                             "parameters":{"binary_data_output":"yes"}})")
                  .find("binary_data_output must be a boolean"),
              std::string::npos);
}

// Each of these crashed the server (a stack overflow in flatten or in dump) or answered 500.
TEST(ServerKServeCodec, HostileJsonIs400) {
    const auto message_of = [](const std::string& text) {
        const auto [status, message] = api_error_of([&] { parse_infer_request(text, ""); });
        EXPECT_EQ(status, 400) << text.substr(0, 120);
        return message;
    };
    const std::string deep = std::string(100'000, '[') + "\"YQ==\"" + std::string(100'000, ']');
    for (const std::string& text :
         {R"({"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":)" + deep + "}]}",
          R"({"inputs":[{"name":"image","shape":)" + deep + R"(,"datatype":"BYTES","data":["YQ=="]}]})",
          R"({"parameters":{"threshold":)" + deep + R"(},"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["YQ=="]}]})"})
        EXPECT_NE(message_of(text).find("nested deeper than 64 levels"), std::string::npos);
    EXPECT_NE(message_of(R"({"parameters":{"threshold":1e309},"inputs":[]})").find("number overflow"), std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"image","shape":[9223372036854775807,9223372036854775807],
                              "datatype":"BYTES","data":["YQ=="]}]})")
                  .find("holds more than 2^63 elements"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"image","shape":[18446744073709551615],"datatype":"BYTES","data":[]}]})")
                  .find("non-negative integers below 2^63, got 18446744073709551615"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"inputs":[{"name":"image","shape":[[1]],"datatype":"BYTES","data":[]}]})")
                  .find("got an array of size 1"),
              std::string::npos);
}

TEST(ServerKServeCodec, AZeroDimensionHoldsNoElementsWhateverTheOthers) {
    const auto request = parse_infer_request(
        R"({"inputs":[{"name":"image","shape":[9223372036854775807,9223372036854775807,0],"datatype":"BYTES","data":[]}]})",
        "");
    EXPECT_TRUE(request.inputs[0].elements.empty());
}

TEST(ServerKServeCodec, DeeplyNestedDataWithinTheBoundIsFlattenedInOrder) {
    const std::string deep = std::string(60, '[') + R"("YQ==","Yg==")" + std::string(60, ']');
    const auto request =
        parse_infer_request(R"({"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","data":)" + deep + "}]}", "");
    EXPECT_EQ(request.inputs[0].elements, (std::vector<std::string>{"a", "b"}));
}

OutputTensor sample_floats() { return {"scores", "FP32", {2}, std::vector<float>{0.5f, 95.52f}}; }

TEST(ServerKServeCodec, EncodesJsonOutputs) {
    const auto outputs = detection_outputs({{1, "bicycle", 0.75f, {10.5f, 20, 30, 40}}, {16, "dog", 0.5f, {1, 2, 3, 4}}});
    InferRequest request;
    const auto encoded = encode_infer_response("nanodet", "42", {{"image_width", 768}}, outputs, request);
    EXPECT_FALSE(encoded.header_length.has_value());
    const auto body = json::parse(encoded.body);
    EXPECT_EQ(body["model_name"], "nanodet");
    EXPECT_EQ(body["id"], "42");
    EXPECT_EQ(body["parameters"]["image_width"], 768);
    ASSERT_EQ(body["outputs"].size(), 4u);
    EXPECT_EQ(body["outputs"][0], json::parse(R"({"name":"boxes","datatype":"FP32","shape":[2,4],
                                                  "data":[10.5,20,30,40,1,2,3,4]})"));
    EXPECT_EQ(body["outputs"][1]["data"], json::parse("[0.75,0.5]"));
    EXPECT_EQ(body["outputs"][2], json::parse(R"({"name":"class_ids","datatype":"INT32","shape":[2],"data":[1,16]})"));
    EXPECT_EQ(body["outputs"][3], json::parse(R"({"name":"labels","datatype":"BYTES","shape":[2],
                                                  "data":["bicycle","dog"]})"));
}

TEST(ServerKServeCodec, Fp32ShowsItsShortestDecimalForm) {
    InferRequest request;
    const auto encoded = encode_infer_response("m", "1", {}, {sample_floats()}, request);
    EXPECT_NE(encoded.body.find("[0.5,95.52]"), std::string::npos) << encoded.body;
    EXPECT_EQ(encoded.body.find("\"parameters\""), std::string::npos) << "empty parameters are left out";
}

TEST(ServerKServeCodec, EncodesBinaryOutputsAfterTheJson) {
    const std::vector<OutputTensor> outputs{sample_floats(),
                                            {"labels", "BYTES", {2}, std::vector<std::string>{"a", "bc"}},
                                            {"ids", "INT32", {1}, std::vector<std::int32_t>{-2}}};
    InferRequest request;
    request.outputs = {{"labels", true}, {"scores", std::nullopt}, {"ids", true}};
    const auto encoded = encode_infer_response("m", "1", {}, outputs, request);
    ASSERT_TRUE(encoded.header_length.has_value());
    const auto header = json::parse(encoded.body.substr(0, *encoded.header_length));
    ASSERT_EQ(header["outputs"].size(), 3u);
    EXPECT_EQ(header["outputs"][0]["name"], "labels");
    EXPECT_EQ(header["outputs"][0]["parameters"]["binary_data_size"], 11);
    EXPECT_FALSE(header["outputs"][0].contains("data"));
    EXPECT_EQ(header["outputs"][1]["data"], json::parse("[0.5,95.52]"));  // JSON: binary not asked
    EXPECT_EQ(header["outputs"][2]["parameters"]["binary_data_size"], 4);
    EXPECT_EQ(encoded.body.substr(*encoded.header_length), le32(1) + "a" + le32(2) + "bc" + le32(0xFFFFFFFEu));

    request.outputs.clear();
    request.binary_data_output = true;  // every output binary
    const auto all = encode_infer_response("m", "1", {}, {sample_floats()}, request);
    ASSERT_TRUE(all.header_length.has_value());
    const std::string tail = all.body.substr(*all.header_length);
    ASSERT_EQ(tail.size(), 8u);
    float values[2];
    std::memcpy(values, tail.data(), 8);  // little-endian host
    EXPECT_EQ(values[0], 0.5f);
    EXPECT_EQ(values[1], 95.52f);
}

TEST(ServerKServeCodec, UnknownRequestedOutputIs400) {
    InferRequest request;
    request.outputs = {{"masks", std::nullopt}};
    const auto [status, message] = api_error_of([&] { check_requested_outputs(request.outputs, detection_outputs({})); });
    EXPECT_EQ(status, 400);
    EXPECT_NE(message.find("unknown output 'masks' (outputs: boxes, scores, class_ids, labels)"), std::string::npos)
        << message;
}

TEST(ServerKServeCodec, NoDetectionsGiveEmptyTensors) {
    const auto outputs = detection_outputs({});
    ASSERT_EQ(outputs.size(), 4u);
    EXPECT_EQ(outputs[0].shape, (std::vector<std::int64_t>{0, 4}));
    EXPECT_EQ(outputs[3].shape, std::vector<std::int64_t>{0});
}

}  // namespace
}  // namespace detserve::server::kserve
