// Many clients at once, and shutting down under load.
#include <atomic>
#include <future>
#include <regex>

#include "server_process.hpp"

namespace detserve::test {
namespace {

struct Photo {
    std::string name, bytes, expected_label;
};

std::vector<Photo> photos() {
    std::vector<Photo> out;
    for (const auto& [name, label] : std::vector<std::pair<std::string, std::string>>{
             {"dog.jpg", "dog"}, {"person.jpg", "person"}, {"giraffe.jpg", "giraffe"}}) {
        out.push_back({name, photo_bytes(name), label});
        EXPECT_FALSE(out.back().bytes.empty()) << missing_photo_message(name);
    }
    return out;
}

double metric_value(const std::string& text, const std::string& sample) {
    const std::regex line("(^|\n)" + std::regex_replace(sample, std::regex(R"([{}\[\]().*+?^$|\\])"), R"(\$&)") +
                          R"( ([0-9.e+-]+))");
    std::smatch match;
    if (!std::regex_search(text, match, line)) return -1;
    return std::stod(match[2]);
}

TEST(HttpLoad, SixtyFourConcurrentClientsGetCorrectAnswersInSharedBatches) {
    ASSERT_TRUE(fs::exists(default_model_path())) << missing_model_message(default_model_path());
    const auto images = photos();
    auto server = ServerProcess::start_ready();
    constexpr int kClients = 64;
    std::atomic<int> wrong{0}, failed{0}, answered{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            auto client = server->client();
            for (std::size_t i = 0; i < images.size(); ++i) {
                const auto& photo = images[(static_cast<std::size_t>(c) + i) % images.size()];
                auto response = client.Post("/v1/detect", photo.bytes, "image/jpeg");
                if (!response || response->status != 200) {
                    ++failed;
                    continue;
                }
                ++answered;
                if (!has_label(json_of(response), photo.expected_label)) ++wrong;
            }
        });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(failed.load(), 0) << "with default limits every request is answered";
    EXPECT_EQ(wrong.load(), 0) << "an answer without its photo's main object: answers got mixed up";
    EXPECT_EQ(answered.load(), kClients * 3);

    auto metrics = server->client().Get("/metrics");
    ASSERT_TRUE(metrics);
    const double forwards = metric_value(metrics->body, "detserve_batch_size_count{model=\"nanodet\"}");
    const double single = metric_value(metrics->body, "detserve_batch_size_bucket{model=\"nanodet\",le=\"1\"}");
    const double images_inferred = metric_value(metrics->body, "detserve_inference_count_total{model=\"nanodet\"}");
    ASSERT_GT(forwards, 0) << metrics->body;
    EXPECT_GT(forwards, single) << "under 64 concurrent clients some forwards must carry more than one image";
    EXPECT_EQ(images_inferred, kClients * 3) << "every image inferred once (the warm-up is not counted)";
    std::cout << "forwards " << forwards << ", of which single-image " << single << ", images " << images_inferred
              << "\n";
}

TEST(HttpLoad, SigtermFinishesRequestsInFlightAndExitsZero) {
    ASSERT_TRUE(fs::exists(default_model_path())) << missing_model_message(default_model_path());
    const auto images = photos();
    auto server = ServerProcess::start_ready({"--streams", "1", "--max_batch", "1"});
    constexpr int kRequests = 16;
    std::vector<std::future<httplib::Result>> answers;
    for (int i = 0; i < kRequests; ++i)
        answers.push_back(std::async(std::launch::async, [&, i] {
            return server->client().Post("/v1/detect", images[static_cast<std::size_t>(i) % 3].bytes, "image/jpeg");
        }));
    // Wait until the server holds every request (admitted or already answered), then ask it to stop:
    // a connection still in the kernel's accept queue when the listener closes is not in flight.
    for (int tries = 0; tries < 500; ++tries) {
        auto metrics = server->client().Get("/metrics");
        if (metrics && metric_value(metrics->body, "detserve_requests_in_flight") +
                               std::max(0.0, metric_value(metrics->body, R"(detserve_http_requests_total{route="/v1/detect",code="200"})")) >=
                           kRequests)
            break;
        std::this_thread::sleep_for(10ms);
    }
    server->signal(SIGTERM);
    int ok = 0;
    for (int i = 0; i < kRequests; ++i) {
        auto response = answers[static_cast<std::size_t>(i)].get();
        ASSERT_TRUE(response) << "request " << i << " lost in shutdown";
        if (response->status == 200 && has_label(json_of(response), images[static_cast<std::size_t>(i) % 3].expected_label)) ++ok;
    }
    EXPECT_EQ(ok, kRequests) << server->log();
    const auto status = server->wait_for_exit(60s);
    ASSERT_TRUE(status) << "still running 60 s after SIGTERM";
    EXPECT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0) << server->log();
    EXPECT_NE(server->log().find("SIGTERM"), std::string::npos);
}

}  // namespace
}  // namespace detserve::test
