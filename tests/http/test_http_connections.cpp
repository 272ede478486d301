// Connections that hold on: slowloris heads, crowds of idle sockets, more connections than
// allowed, more requests than max_in_flight. Through each, a normal client is still answered.
#include <sys/resource.h>

#include <atomic>
#include <future>

#include "../support/raw_http.hpp"
#include "server_process.hpp"

namespace detserve::test {
namespace {

// Sockets beyond the default soft limit of 1024 descriptors.
void raise_open_file_limit() {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
}

void expect_answers_detect(ServerProcess& server) {
    const auto dog = photo_bytes("dog.jpg");
    auto response = server.client(std::chrono::seconds(10)).Post("/v1/detect", dog, "image/jpeg");
    ASSERT_TRUE(response) << "a normal client got no answer; the server's log:\n" << server.log();
    EXPECT_EQ(response->status, 200) << response->body;
    EXPECT_TRUE(has_label(json_of(response), "dog")) << response->body;
}

class HttpConnections : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(fs::exists(default_model_path())) << missing_model_message(default_model_path());
        ASSERT_FALSE(photo_bytes("dog.jpg").empty()) << missing_photo_message("dog.jpg");
        raise_open_file_limit();
    }
};

TEST_F(HttpConnections, TwoHundredSlowlorisConnectionsDoNotStarveANormalClient) {
    auto server = ServerProcess::start_ready();
    std::vector<RawConnection> slow;
    for (int i = 0; i < 200; ++i) {
        slow.emplace_back(server->port());
        ASSERT_TRUE(slow.back().send("POST /v1/detect HTTP/1.1\r\nHost: x\r\n"));
    }
    for (auto& connection : slow) connection.send("X-Slow: 1\r\n");  // one more header line each
    expect_answers_detect(*server);
    EXPECT_FALSE(server->exited());
}

TEST_F(HttpConnections, AHeadThatDoesNotArriveInTimeIs408) {
    auto server = ServerProcess::start_ready({"--request-head-timeout-ms", "1000"});
    RawConnection connection(server->port());
    ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));  // never ends its head
    const std::string answer = connection.read_response(std::chrono::seconds(10));
    EXPECT_EQ(status_of(answer), 408) << answer;
    EXPECT_NE(body_of(answer).find("request_timeout"), std::string::npos) << answer;
    EXPECT_TRUE(connection.closed_by_peer());
    expect_answers_detect(*server);
}

TEST_F(HttpConnections, AThousandIdleConnectionsDoNotDelayANormalClient) {
    auto server = ServerProcess::start_ready();
    std::vector<RawConnection> idle;
    for (int i = 0; i < 1000; ++i) {
        idle.emplace_back(server->port());
        ASSERT_TRUE(idle.back().connected()) << "connection " << i;
    }
    expect_answers_detect(*server);
}

TEST_F(HttpConnections, ConnectionsBeyondThePerClientLimitGet503AndClose) {
    auto server = ServerProcess::start_ready({"--max-connections-per-client", "4"});
    std::vector<RawConnection> held;
    const std::string get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < 4; ++i) {
        held.emplace_back(server->port());
        ASSERT_TRUE(held.back().send(get));
        EXPECT_EQ(status_of(held.back().read_response()), 200);  // kept alive: still counted
    }
    RawConnection extra(server->port());
    ASSERT_TRUE(extra.send(get));
    const std::string answer = extra.read_response();
    EXPECT_EQ(status_of(answer), 503) << answer;
    EXPECT_NE(answer.find("Retry-After"), std::string::npos) << answer;
    EXPECT_NE(body_of(answer).find("too_many_connections"), std::string::npos) << answer;
    EXPECT_TRUE(extra.closed_by_peer());
    held.clear();
    // The held places are given back once those connections close.
    for (int attempt = 0; attempt < 50; ++attempt) {
        RawConnection again(server->port());
        again.send(get);
        if (status_of(again.read_response()) == 200) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "connections were not released";
}

TEST_F(HttpConnections, RequestsBeyondMaxInFlightGet503WithRetryAfterAndNoReset) {
    auto server = ServerProcess::start_ready({"--max-in-flight", "8", "--streams", "1"});
    const auto dog = photo_bytes("dog.jpg");
    std::atomic<int> ok{0}, overloaded{0}, other{0}, missing_retry_after{0}, no_answer{0};
    std::vector<std::future<void>> clients;
    for (int c = 0; c < 64; ++c)
        clients.push_back(std::async(std::launch::async, [&] {
            auto http = server->client(std::chrono::seconds(60));
            for (int i = 0; i < 3; ++i) {
                auto response = http.Post("/v1/detect", dog, "image/jpeg");
                if (!response) {
                    ++no_answer;  // reset or closed without an answer
                } else if (response->status == 200) {
                    ++ok;
                } else if (response->status == 503) {
                    ++overloaded;
                    if (!response->has_header("Retry-After")) ++missing_retry_after;
                } else {
                    ++other;
                }
            }
        }));
    for (auto& client : clients) client.get();
    EXPECT_EQ(no_answer.load(), 0);
    EXPECT_EQ(other.load(), 0);
    EXPECT_GT(overloaded.load(), 0) << "64 clients against max_in_flight 8 never got a 503";
    EXPECT_GE(ok.load(), 8);
    EXPECT_EQ(missing_retry_after.load(), 0);
    expect_answers_detect(*server);
}

}  // namespace
}  // namespace detserve::test
