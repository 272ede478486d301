// CORS over real HTTP: preflights, allowed and refused origins, headers on errors too.
#include "server_process.hpp"

namespace detserve::test {
namespace {

class HttpCors : public SharedServerTest<HttpCors> {
public:
    static std::vector<std::string> server_args() { return {"--cors-allowed-origins", "https://app.example"}; }
};


TEST_F(HttpCors, PreflightFromAnAllowedOriginGetsTheAllowedMethodsAndHeaders) {
    httplib::Headers headers{{"Origin", "https://app.example"},
                             {"Access-Control-Request-Method", "POST"},
                             {"Access-Control-Request-Headers", "content-type"}};
    auto response = server_->client().Options("/v1/detect", headers);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 204);
    EXPECT_EQ(response->get_header_value("Access-Control-Allow-Origin"), "https://app.example");
    EXPECT_NE(response->get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
    EXPECT_NE(response->get_header_value("Access-Control-Allow-Headers").find("Content-Type"), std::string::npos);
    EXPECT_EQ(response->get_header_value("Vary"), "Origin");
}

TEST_F(HttpCors, PreflightFromAnotherOriginGetsNoPermission) {
    httplib::Headers headers{{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}};
    auto response = server_->client().Options("/v1/detect", headers);
    ASSERT_TRUE(response);
    EXPECT_FALSE(response->has_header("Access-Control-Allow-Origin"));
    EXPECT_FALSE(response->has_header("Access-Control-Allow-Methods"));
}

TEST_F(HttpCors, AnswersAndErrorsCarryTheOriginForAllowedCallersOnly) {
    const auto dog = photo_bytes("dog.jpg");
    ASSERT_FALSE(dog.empty()) << missing_photo_message("dog.jpg");
    auto ok = server_->client().Post("/v1/detect", {{"Origin", "https://app.example"}}, dog, "image/jpeg");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(ok->get_header_value("Access-Control-Allow-Origin"), "https://app.example");
    EXPECT_NE(ok->get_header_value("Access-Control-Expose-Headers").find("X-Request-Id"), std::string::npos);

    auto error = server_->client().Get("/no/such/route", {{"Origin", "https://app.example"}});
    ASSERT_TRUE(error);
    EXPECT_EQ(error->status, 404);
    EXPECT_EQ(error->get_header_value("Access-Control-Allow-Origin"), "https://app.example")
        << "a browser can only read an error's message when the error carries the CORS header";

    auto other = server_->client().Get("/healthz", {{"Origin", "https://evil.example"}});
    ASSERT_TRUE(other);
    EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));
}

TEST_F(HttpCors, OpenApiDocumentIsServed) {
    auto response = server_->client().Get("/openapi.json");
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200);
    const auto doc = json_of(response);
    ASSERT_TRUE(doc.is_object()) << response->body.substr(0, 200);
    EXPECT_TRUE(doc["paths"].contains("/v1/detect"));
}

}  // namespace
}  // namespace detserve::test
