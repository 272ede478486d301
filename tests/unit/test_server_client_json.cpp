// Client text that used to crash or 500 the server: JSON nested past any stack, numbers out of
// range, invalid UTF-8 in values and in JSON answers.
#include <gtest/gtest.h>

#include "../../src/server/client_json.hpp"
#include "../../src/server/json_text.hpp"
#include "../../src/server/request_text.hpp"
#include "detserve/server/api_error.hpp"

namespace detserve::server {
namespace {

std::string nested_arrays(int depth, const std::string& inner = "1") {
    return std::string(static_cast<std::size_t>(depth), '[') + inner + std::string(static_cast<std::size_t>(depth), ']');
}

// The status, code and message of the ApiError parse_client_json throws.
ApiError parse_error_of(const std::string& text) {
    try {
        parse_client_json(text);
    } catch (const ApiError& e) {
        return e;
    }
    ADD_FAILURE() << "no ApiError for " << text.substr(0, 80);
    return ApiError(0, "", "");
}

TEST(ServerClientJson, AcceptsDepthUpToTheBound) {
    const auto doc = parse_client_json(nested_arrays(kMaxClientJsonDepth));
    EXPECT_TRUE(doc.is_array());
    const auto object = parse_client_json(R"({"a":)" + nested_arrays(kMaxClientJsonDepth - 1) + "}");
    EXPECT_TRUE(object.contains("a"));
}

TEST(ServerClientJson, RefusesDeeperNestingAsA400) {
    for (const int depth : {kMaxClientJsonDepth + 1, 100'000}) {
        const auto error = parse_error_of(nested_arrays(depth));
        EXPECT_EQ(error.status(), 400);
        EXPECT_EQ(error.code(), "malformed_json");
        EXPECT_NE(std::string(error.what()).find("nested deeper than 64 levels"), std::string::npos) << error.what();
    }
    // Objects count as levels too, and the depth is checked wherever it occurs in the document.
    std::string objects;
    for (int i = 0; i < 100'000; ++i) objects += R"({"a":)";
    objects += "1" + std::string(100'000, '}');
    EXPECT_EQ(parse_error_of(objects).status(), 400);
    EXPECT_EQ(parse_error_of(R"({"inputs":[{"shape":)" + nested_arrays(100'000) + "}]}").status(), 400);
}

TEST(ServerClientJson, EveryNlohmannExceptionIsA400) {
    const auto overflow = parse_error_of(R"({"threshold": 1e309})");  // out_of_range.406, not a parse_error
    EXPECT_EQ(overflow.status(), 400);
    EXPECT_NE(std::string(overflow.what()).find("number overflow"), std::string::npos) << overflow.what();
    EXPECT_EQ(std::string(overflow.what()).find("[json.exception"), std::string::npos) << overflow.what();
    EXPECT_EQ(parse_error_of(R"({"a": [)").status(), 400);
    EXPECT_EQ(parse_error_of("\"\xff\"").status(), 400);  // invalid UTF-8 inside a string
}

TEST(ServerClientJson, TheCodeFollowsTheCaller) {
    try {
        parse_client_json("{", "invalid_request");
        FAIL() << "no ApiError";
    } catch (const ApiError& e) {
        EXPECT_EQ(e.code(), "invalid_request");
    }
}

TEST(ServerClientJson, DescribesValuesWithoutSerialisingThemWhole) {
    EXPECT_EQ(describe_client_value(nlohmann::json(0.5)), "0.5");
    EXPECT_EQ(describe_client_value(nlohmann::json("yes")), "\"yes\"");
    EXPECT_EQ(describe_client_value(nlohmann::json::parse("[[1],[2],[3]]")), "an array of size 3");
    EXPECT_EQ(describe_client_value(nlohmann::json::parse(R"({"a":1})")), "an object of size 1");
    const std::string described = describe_client_value(nlohmann::json(std::string(10'000, 'x')));
    EXPECT_LT(described.size(), 80u) << described;
    EXPECT_NE(described.find("(10000 bytes)"), std::string::npos) << described;
    // Cut inside a two-byte character, the text stays valid UTF-8.
    const std::string cut = describe_client_value(nlohmann::json(std::string(39, 'x') + "\xc3\xa9\xc3\xa9"));
    EXPECT_TRUE(is_utf8(cut)) << cut;
}

TEST(ServerJsonText, ReplacesInvalidUtf8WithTheReplacementCharacter) {
    const nlohmann::ordered_json body{{"error", "no route for GET /\xff"}};
    EXPECT_THROW((void)body.dump(), nlohmann::json::type_error);  // what used to abort the process
    EXPECT_EQ(json_text(body), "{\"error\":\"no route for GET /\xef\xbf\xbd\"}");
    EXPECT_EQ(error_body("not_found", "no route for GET /\xff"),
              "{\"error\":{\"code\":\"not_found\",\"message\":\"no route for GET /\xef\xbf\xbd\"}}");
}

TEST(ServerRequestText, Utf8FollowsRfc3629) {
    EXPECT_TRUE(is_utf8(""));
    EXPECT_TRUE(is_utf8("dog,person"));
    EXPECT_TRUE(is_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb6"));  // é € 🐶
    EXPECT_TRUE(is_utf8("\xf4\x8f\xbf\xbf"));                          // U+10FFFF
    EXPECT_FALSE(is_utf8("\xff"));
    EXPECT_FALSE(is_utf8("\x80"));              // a continuation byte alone
    EXPECT_FALSE(is_utf8("\xc3"));              // cut short
    EXPECT_FALSE(is_utf8("\xc0\xaf"));          // overlong '/'
    EXPECT_FALSE(is_utf8("\xe0\x80\xaf"));      // overlong, three bytes
    EXPECT_FALSE(is_utf8("\xed\xa0\x80"));      // a UTF-16 surrogate
    EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(is_utf8("a\xe2\x82"));
}

TEST(ServerRequestText, RequestsWithInvalidUtf8ValuesAre400) {
    httplib::Request request;
    request.path = "/v1/detect";
    request.params.emplace("threshold", "0.5");
    EXPECT_NO_THROW(require_utf8_request(request));
    request.params.emplace("classes", "\xff");
    try {
        require_utf8_request(request);
        FAIL() << "no ApiError";
    } catch (const ApiError& e) {
        EXPECT_EQ(e.status(), 400);
        EXPECT_EQ(e.code(), "invalid_parameter");
        EXPECT_NE(std::string(e.what()).find("'classes'"), std::string::npos) << e.what();
    }
}

TEST(ServerRequestText, PathParametersWithInvalidUtf8Are400) {
    httplib::Request request;
    request.path = "/v2/models/\xff/infer";
    const std::regex route("/v2/models/([^/]+)(?:/versions/([^/]+))?/infer");
    ASSERT_TRUE(std::regex_match(request.path, request.matches, route));
    try {
        require_utf8_request(request);
        FAIL() << "no ApiError";
    } catch (const ApiError& e) {
        EXPECT_EQ(e.status(), 400);
        EXPECT_EQ(e.code(), "invalid_path");
    }
}

}  // namespace
}  // namespace detserve::server
