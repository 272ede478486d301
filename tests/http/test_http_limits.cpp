// Limits and backpressure, each on a server started with a small limit set by flag.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <future>

#include "server_process.hpp"

namespace detserve::test {
namespace {

class HttpLimits : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(fs::exists(default_model_path())) << missing_model_message(default_model_path());
        dog_ = photo_bytes("dog.jpg");
        ASSERT_FALSE(dog_.empty()) << missing_photo_message("dog.jpg");
    }
    std::string dog_;
};

TEST_F(HttpLimits, BodyOverMaxBodyBytesIs413) {
    auto server = ServerProcess::start_ready({"--max_body_bytes", "100000"});  // dog.jpg is 163 KB
    auto response = server->client().Post("/v1/detect", dog_, "image/jpeg");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(error_code(response), "body_too_large");
    auto health = server->client().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

TEST_F(HttpLimits, ImageOverMaxPixelsIs413BeforeDecoding) {
    auto server = ServerProcess::start_ready({"--max_pixels", "100000"});  // dog.jpg is 768x576
    auto response = server->client().Post("/v1/detect", dog_, "image/jpeg");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(error_code(response), "image_too_large");
    EXPECT_NE(response->body.find("768x576"), std::string::npos) << response->body;
}

TEST_F(HttpLimits, TooManyImagesInOneRequestIs413) {
    auto server = ServerProcess::start_ready({"--max_images_per_request", "2"});
    httplib::MultipartFormDataItems items(3, {"image", dog_, "dog.jpg", "image/jpeg"});
    auto response = server->client().Post("/v1/detect", items);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(error_code(response), "too_many_images");
}

TEST_F(HttpLimits, FullAdmissionIs503WithRetryAfter) {
    auto server = ServerProcess::start_ready({"--max_in_flight", "1", "--streams", "1"});
    std::vector<std::future<httplib::Result>> answers;
    for (int i = 0; i < 12; ++i)
        answers.push_back(std::async(std::launch::async, [&] { return server->client().Post("/v1/detect", dog_, "image/jpeg"); }));
    int ok = 0, overloaded = 0;
    for (auto& a : answers) {
        auto response = a.get();
        ASSERT_TRUE(response);
        if (response->status == 200) ++ok;
        if (response->status == 503) {
            ++overloaded;
            EXPECT_EQ(error_code(response), "overloaded");
            EXPECT_EQ(response->get_header_value("Retry-After"), "1");
        }
    }
    EXPECT_GE(ok, 1);
    EXPECT_GE(overloaded, 1) << "12 simultaneous requests against max_in_flight 1";
    EXPECT_EQ(ok + overloaded, 12);
    const auto metrics = server->client().Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_NE(metrics->body.find("detserve_rejected_requests_total{reason=\"overloaded\"}"), std::string::npos);
}

TEST_F(HttpLimits, MissedDeadlineIs504AndTheServiceGoesOn) {
    auto server = ServerProcess::start_ready({"--request_timeout_ms", "1"});
    auto response = server->client().Post("/v1/detect", dog_, "image/jpeg");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 504);
    EXPECT_EQ(error_code(response), "deadline_exceeded");
    auto health = server->client().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

// Sends `bytes` on a fresh connection and hangs up without reading the answer.
void send_and_hang_up(int port, const std::string& bytes) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
    close(fd);
}

TEST_F(HttpLimits, ClientsThatHangUpCostOnlyTheirOwnWork) {
    auto server = ServerProcess::start_ready();
    const std::string head = "POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                             std::to_string(dog_.size()) + "\r\n\r\n";
    for (int i = 0; i < 4; ++i) {
        send_and_hang_up(server->port(), head + dog_.substr(0, dog_.size() / 2));  // mid-body
        send_and_hang_up(server->port(), head + dog_);                            // before the answer
    }
    auto response = server->client().Post("/v1/detect", dog_, "image/jpeg");
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body;
    EXPECT_TRUE(has_label(json_of(response), "dog"));
    EXPECT_FALSE(server->exited()) << server->log();
}

TEST_F(HttpLimits, BadSettingsStopStartUpNamingTheKey) {
    ServerProcess server({"--max_batch", "zero"});
    const auto status = server.wait_for_exit(30s);
    ASSERT_TRUE(status) << "detserve serve kept running with a bad setting";
    EXPECT_TRUE(WIFEXITED(*status));
    EXPECT_NE(WEXITSTATUS(*status), 0);
    EXPECT_NE(server.log().find("max_batch"), std::string::npos) << server.log();
}

TEST_F(HttpLimits, MissingModelStopsStartUpNamingTheFile) {
    ServerProcess server({"--model", "/nonexistent/model.xml"});
    const auto status = server.wait_for_exit(30s);
    ASSERT_TRUE(status) << server.log();
    EXPECT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 1);
    EXPECT_NE(server.log().find("/nonexistent/model.xml"), std::string::npos) << server.log();
}

}  // namespace
}  // namespace detserve::test
