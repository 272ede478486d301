// The web page's files over real HTTP (GET /, GET /web/{file}, traversal refused, a missing
// web_root explained) and POST /v1/detect?annotate=true.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "server_process.hpp"

namespace detserve::test {
namespace {

const fs::path kWebRoot = fs::path(DETSERVE_SOURCE_DIR) / "web";

cv::Mat decode(const std::string& bytes) {
    return cv::imdecode(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), cv::IMREAD_COLOR);
}

// Mean absolute difference per channel over a region.
double mean_difference(const cv::Mat& a, const cv::Mat& b, const cv::Rect& region) {
    cv::Mat difference;
    cv::absdiff(a(region), b(region), difference);
    const cv::Scalar mean = cv::mean(difference);
    return (mean[0] + mean[1] + mean[2]) / 3.0;
}

class HttpWeb : public SharedServerTest<HttpWeb> {
public:
    static std::vector<std::string> server_args() { return {"--web-root", kWebRoot.string()}; }
};


TEST_F(HttpWeb, RootAnswersIndexHtmlWithAContentSecurityPolicy) {
    auto page = client().Get("/");
    ASSERT_TRUE(page);
    ASSERT_EQ(page->status, 200) << page->body;
    EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(page->body, read_file(kWebRoot / "index.html"));
    EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    EXPECT_EQ(page->get_header_value("Cache-Control"), "no-cache");
    EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
}

TEST_F(HttpWeb, EveryAssetTheFilesReferToIsServedWithItsContentType) {
    const std::map<std::string, std::string> types = {
        {".js", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"}, {".svg", "image/svg+xml"}};
    // index.html's href/src and the modules' imports: a file renamed without its references fails here.
    std::set<std::string> referenced;
    const std::regex reference(R"((?:href|src)="/web/([^"]+)\"|from '\./([^']+)')");
    for (const auto& entry : fs::directory_iterator(kWebRoot)) {
        const std::string text = read_file(entry.path());
        for (std::sregex_iterator it(text.begin(), text.end(), reference), end; it != end; ++it)
            referenced.insert((*it)[1].matched ? (*it)[1].str() : (*it)[2].str());
    }
    ASSERT_TRUE(referenced.count("app.js") && referenced.count("style.css") && referenced.count("api.js"));
    for (const auto& name : referenced) {
        SCOPED_TRACE(name);
        auto asset = client().Get("/web/" + name);
        ASSERT_TRUE(asset);
        EXPECT_EQ(asset->status, 200) << asset->body;
        EXPECT_EQ(asset->body, read_file(kWebRoot / name));
        EXPECT_EQ(asset->get_header_value("Content-Type"), types.at(fs::path(name).extension().string()));
    }
}

TEST_F(HttpWeb, AnUnchangedFileAnswers304ToItsETag) {
    auto first = client().Get("/web/app.js");
    ASSERT_TRUE(first);
    const std::string tag = first->get_header_value("ETag");
    ASSERT_FALSE(tag.empty());
    auto again = client().Get("/web/app.js", {{"If-None-Match", tag}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);
    EXPECT_TRUE(again->body.empty());
}

TEST_F(HttpWeb, PathsOutsideTheWebRootAreRefused) {
    // Percent-encoded slashes and dots are decoded before routing; none of these may reach a file
    // outside web/ (the repository's CMakeLists.txt is one directory up) or a hidden one.
    for (const std::string path : {"/web/..", "/web/../CMakeLists.txt", "/web/..%2FCMakeLists.txt",
                                   "/web/%2e%2e%2fCMakeLists.txt", "/web/%2E%2E", "/web/.gitignore",
                                   "/web/index.html%00.js", "/web/README.md", "/web/", "/web/nothing.js",
                                   "/web//etc/passwd", "/web/..\\CMakeLists.txt"}) {
        SCOPED_TRACE(path);
        auto response = client().Get(path);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 404);
        EXPECT_EQ(error_code(response), "not_found");
        EXPECT_EQ(response->body.find("cmake_minimum_required"), std::string::npos);
    }
}

TEST_F(HttpWeb, AnnotateTrueAnswersAJpegOfTheSameSizeWithTheBoxesDrawn) {
    const auto dog = photo_bytes("dog.jpg");
    ASSERT_FALSE(dog.empty()) << missing_photo_message("dog.jpg");
    // 0.35: above the cat NanoDet also scores on the dog's box (0.34), whose bottom edge lies 2 px
    // from the dog's, so that each box checked has an edge of its own.
    auto answer = client().Post("/v1/detect?threshold=0.35", dog, "image/jpeg");
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200) << answer->body;
    const auto detections = json_of(answer)["detections"];
    ASSERT_GE(detections.size(), 2u);

    auto annotated = client().Post("/v1/detect?annotate=true&threshold=0.35", dog, "image/jpeg");
    ASSERT_TRUE(annotated);
    ASSERT_EQ(annotated->status, 200) << annotated->body;
    EXPECT_EQ(annotated->get_header_value("Content-Type"), "image/jpeg");
    EXPECT_EQ(annotated->get_header_value("X-Detections"), std::to_string(detections.size()));
    EXPECT_FALSE(annotated->get_header_value("X-Request-Id").empty());

    const cv::Mat original = decode(dog), drawn = decode(annotated->body);
    ASSERT_FALSE(drawn.empty()) << "not a decodable JPEG";
    ASSERT_EQ(drawn.size(), original.size());
    // Along each box's bottom edge the pixels are the class colour; far from the boxes only JPEG
    // re-encoding differs.
    for (const auto& detection : detections) {
        SCOPED_TRACE(detection.dump());
        const auto& box = detection["box"];
        const int x0 = static_cast<int>(box["x_min"].get<double>()), x1 = static_cast<int>(box["x_max"].get<double>());
        const int y = std::clamp(static_cast<int>(std::lround(box["y_max"].get<double>())), 1, original.rows - 2);
        EXPECT_GT(mean_difference(original, drawn, cv::Rect(x0 + 4, y - 1, x1 - x0 - 8, 3)), 40.0);
    }
    EXPECT_LT(mean_difference(original, drawn, cv::Rect(0, 0, 768, 576)), 12.0);
}

TEST_F(HttpWeb, AnnotateRefusesSeveralImagesAndBadValues) {
    const auto dog = photo_bytes("dog.jpg");
    ASSERT_FALSE(dog.empty()) << missing_photo_message("dog.jpg");
    httplib::MultipartFormDataItems two = {{"image", dog, "dog.jpg", "image/jpeg"},
                                           {"image", dog, "dog2.jpg", "image/jpeg"}};
    auto several = client().Post("/v1/detect?annotate=true", two);
    ASSERT_TRUE(several);
    EXPECT_EQ(several->status, 400);
    EXPECT_EQ(error_code(several), "invalid_parameter");
    EXPECT_NE(several->body.find("one image"), std::string::npos) << several->body;

    auto bad = client().Post("/v1/detect?annotate=yes", dog, "image/jpeg");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_EQ(error_code(bad), "invalid_parameter");
    EXPECT_NE(bad->body.find("annotate"), std::string::npos) << bad->body;

    auto json = client().Post("/v1/detect?annotate=false", dog, "image/jpeg");
    ASSERT_TRUE(json);
    EXPECT_EQ(json->status, 200);
    EXPECT_EQ(json->get_header_value("Content-Type"), "application/json");
    EXPECT_TRUE(has_label(json_of(json), "dog"));
}

TEST(HttpWebRoot, AMissingWebRootIsA500NamingTheDirectory) {
    ASSERT_TRUE(fs::exists(default_model_path())) << missing_model_message(default_model_path());
    const std::string missing = "/nonexistent/detserve-web-root";
    auto server = ServerProcess::start_ready({"--web-root", missing});
    auto response = server->client().Get("/");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 500);
    EXPECT_EQ(error_code(response), "web_root_missing");
    EXPECT_NE(response->body.find(missing), std::string::npos) << response->body;
    EXPECT_NE(response->body.find("web_root"), std::string::npos) << response->body;
    auto health = server->client().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200) << "the API does not depend on the web page";
}

}  // namespace
}  // namespace detserve::test
