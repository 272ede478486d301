// Several models served by one process (issue 12): each on its own routes (native ?model=,
// DeepStack custom/{model}, KServe /v2/models/{name}), a model repository in the OVMS/Triton
// layout, and reloads (POST /v1/models/{name}/reload, SIGHUP) while clients keep sending.
#include <atomic>
#include <mutex>
#include <thread>

#include "../support/temp_dir.hpp"
#include "server_process.hpp"

namespace detserve::test {
namespace {

// The second model family: YOLOv5n (OpenVINO IR) from ../shared, with its spec in config/models/.
fs::path yolov5n_xml() {
    const char* shared = std::getenv("DETSERVE_SHARED_DIR");
    const fs::path dir = shared && *shared ? fs::path(shared) : fs::path(DETSERVE_SOURCE_DIR) / ".." / "shared";
    return dir / "models" / "yolov5n_openvino_fp16" / "yolov5n.xml";
}

bool has_label(const nlohmann::json& answer, const std::string& label) {
    if (!answer.is_object() || !answer.contains("detections")) return false;
    for (const auto& d : answer["detections"])
        if (d.value("label", "") == label) return true;
    return false;
}

nlohmann::json model_entry(httplib::Client& client, const std::string& name, const httplib::Headers& headers = {}) {
    const auto models = json_of(client.Get("/v1/models", headers));
    if (!models.is_object()) return nullptr;
    for (const auto& model : models["models"])
        if (model.value("name", "") == name) return model;
    return nullptr;
}

// A copy of the default model under `dir` as NAME.xml/.bin: a second model whose files a test may
// break and mend (its ModelSpec is in the IR's rt_info, so it needs no sidecar).
fs::path copy_default_model(const fs::path& dir, const std::string& name) {
    const fs::path xml = dir / (name + ".xml");
    fs::copy_file(default_model_path(), xml, fs::copy_options::overwrite_existing);
    fs::copy_file(fs::path(default_model_path()).replace_extension(".bin"), dir / (name + ".bin"),
                  fs::copy_options::overwrite_existing);
    return xml;
}

class HttpTwoModels : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        startup_failure_.clear();
        if (!fs::exists(default_model_path())) {
            startup_failure_ = missing_model_message(default_model_path());
            return;
        }
        if (!fs::exists(yolov5n_xml())) return;  // each test skips, saying why
        // Run from the source tree: yolov5n's spec is config/models/yolov5n.json there.
        server_ = new ServerProcess({"--models", "nanodet=" + default_model_path().string() + ",yolo=" +
                                                     yolov5n_xml().string()},
                                    {}, DETSERVE_SOURCE_DIR);
        if (!server_->wait_until_ready()) startup_failure_ = "detserve serve never became ready:\n" + server_->log();
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override {
        ASSERT_TRUE(startup_failure_.empty()) << startup_failure_;
        if (!server_) GTEST_SKIP() << yolov5n_xml().string() << " not found (../shared/models; set DETSERVE_SHARED_DIR)";
        ASSERT_FALSE(server_->exited()) << server_->log();
        dog_ = photo_bytes("dog.jpg");
        ASSERT_FALSE(dog_.empty()) << missing_photo_message("dog.jpg");
    }
    httplib::Client client() { return server_->client(); }

    static inline ServerProcess* server_ = nullptr;
    static inline std::string startup_failure_;
    std::string dog_;
};

TEST_F(HttpTwoModels, ModelsListsBothInConfigOrderWithTheCoresSplit) {
    auto c = client();
    const auto models = json_of(c.Get("/v1/models"));
    ASSERT_TRUE(models.is_object()) << models;
    ASSERT_EQ(models["models"].size(), 2u) << models;
    EXPECT_EQ(models["models"][0]["name"], "nanodet");
    EXPECT_EQ(models["models"][1]["name"], "yolo");
    EXPECT_EQ(models["models"][1]["family"], "yolov5");
    for (const auto& model : models["models"]) {
        EXPECT_EQ(model["streams"], 1) << "the default 2 streams split between 2 models";
        EXPECT_EQ(model["generation"], 1);
        EXPECT_EQ(model["version"], "1");
        EXPECT_FALSE(model["loaded_at"].get<std::string>().empty());
    }
    const auto ready = json_of(c.Get("/readyz"));
    EXPECT_EQ(ready["models"], nlohmann::json::array({"nanodet", "yolo"}));
}

TEST_F(HttpTwoModels, NativeDetectPicksTheModelByQueryAndDefaultsToTheFirst) {
    auto c = client();
    const auto by_default = json_of(c.Post("/v1/detect", dog_, "image/jpeg"));
    EXPECT_EQ(by_default["model"], "nanodet");
    EXPECT_TRUE(has_label(by_default, "dog")) << by_default;
    const auto yolo = json_of(c.Post("/v1/detect?model=yolo", dog_, "image/jpeg"));
    EXPECT_EQ(yolo["model"], "yolo");
    EXPECT_TRUE(has_label(yolo, "dog")) << yolo;

    const auto unknown = c.Post("/v1/detect?model=nope", dog_, "image/jpeg");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
    const auto error = json_of(unknown);
    EXPECT_EQ(error["error"]["code"], "unknown_model") << unknown->body;
    EXPECT_EQ(error["error"]["message"], "unknown model 'nope'; this server serves 'nanodet', 'yolo'");
}

TEST_F(HttpTwoModels, DeepStackCustomRoutesServeEachModel) {
    auto c = client();
    httplib::MultipartFormDataItems form{{"image", dog_, "dog.jpg", "image/jpeg"}};
    const auto yolo = json_of(c.Post("/v1/vision/custom/yolo", form));
    EXPECT_EQ(yolo["success"], true) << yolo;
    bool bicycle = false;
    for (const auto& p : yolo["predictions"]) bicycle = bicycle || p["label"] == "bicycle";
    EXPECT_TRUE(bicycle) << yolo;
    const auto list = json_of(c.Post("/v1/vision/custom/list", "", "text/plain"));
    EXPECT_EQ(list["models"], nlohmann::json::array({"nanodet", "yolo"}));
    const auto unknown = c.Post("/v1/vision/custom/nope", form);
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
    const auto error = json_of(unknown);
    EXPECT_EQ(error["success"], false);
    EXPECT_NE(error["error"].get<std::string>().find("'nanodet', 'yolo'"), std::string::npos) << unknown->body;
}

TEST_F(HttpTwoModels, KServeRoutesServeEachModel) {
    auto c = client();
    const auto metadata = json_of(c.Get("/v2/models/yolo"));
    EXPECT_EQ(metadata["name"], "yolo") << metadata;
    EXPECT_EQ(c.Get("/v2/models/nanodet/ready")->status, 200);
    EXPECT_EQ(c.Get("/v2/models/yolo/versions/1/ready")->status, 200);
    const auto unknown = c.Get("/v2/models/nope");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
    EXPECT_TRUE(json_of(unknown)["error"].is_string()) << unknown->body;

    // The binary tensor data extension: a BYTES element is a 4-byte little-endian length, then the bytes.
    std::string tensor(4, '\0');
    for (int i = 0; i < 4; ++i) tensor[i] = static_cast<char>((dog_.size() >> (8 * i)) & 0xff);
    tensor += dog_;
    nlohmann::json infer{{"inputs", {{{"name", "image"}, {"datatype", "BYTES"}, {"shape", {1}},
                                      {"parameters", {{"binary_data_size", tensor.size()}}}}}}};
    const std::string header = infer.dump();
    const auto answer = c.Post("/v2/models/yolo/infer", {{"Inference-Header-Content-Length", std::to_string(header.size())}},
                               header + tensor, "application/octet-stream");
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200) << answer->body;
    EXPECT_EQ(json_of(answer)["model_name"], "yolo") << answer->body;
}

TEST_F(HttpTwoModels, MetricsCarryTheModelLabel) {
    auto c = client();
    ASSERT_TRUE(c.Post("/v1/detect?model=yolo", dog_, "image/jpeg"));
    const std::string text = c.Get("/metrics")->body;
    for (const char* needle : {"detserve_inference_count_total{model=\"yolo\"}",
                               "detserve_stage_duration_seconds_count{model=\"yolo\",stage=\"inference\"}",
                               "detserve_model_info{model=\"yolo\"", "detserve_engine_info{model=\"nanodet\"",
                               "detserve_queue_depth{model=\"yolo\"}"})
        EXPECT_NE(text.find(needle), std::string::npos) << needle << " missing from:\n" << text;
}

// Two models side by side, one reloaded (by the route, then by SIGHUP) while a client thread
// keeps sending to both: no request fails, and the reload shows as a new generation.
TEST(HttpModelReload, ReloadUnderLoadFailsNoRequestAndAFailedReloadKeepsTheOldModel) {
    if (!fs::exists(default_model_path())) FAIL() << missing_model_message(default_model_path());
    const std::string dog = photo_bytes("dog.jpg");
    ASSERT_FALSE(dog.empty()) << missing_photo_message("dog.jpg");
    TempDir dir("detserve_reload");
    const fs::path second = copy_default_model(dir.path(), "second");
    const std::string key = "reload-test-key";
    const httplib::Headers auth{{"Authorization", "Bearer " + key}};
    ServerProcess server({"--models", "first=" + default_model_path().string() + ",second=" + second.string(),
                          "--api-keys", key});
    ASSERT_TRUE(server.wait_until_ready()) << server.log();

    // Four clients, two per model, each sending the next request as soon as the last is answered.
    constexpr int kSenders = 4;
    std::atomic<bool> stop{false};
    std::atomic<int> sent{0}, failed{0};
    std::mutex failure_mutex;
    std::string first_failure;
    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s)
        senders.emplace_back([&, s] {
            auto c = server.client();
            const std::string model = s % 2 ? "second" : "first";
            while (!stop.load()) {
                const auto response = c.Post("/v1/detect?model=" + model, auth, dog, "image/jpeg");
                ++sent;
                const auto answer = response ? json_of(response) : nlohmann::json();
                if (!response || response->status != 200 || answer["model"] != model || !has_label(answer, "dog")) {
                    std::lock_guard lock(failure_mutex);
                    if (failed++ == 0)
                        first_failure = response ? std::to_string(response->status) + " " + response->body : "no response";
                }
            }
        });
    auto c = server.client();
    // Requests flow before, during and after each reload.
    const auto wait_for_requests = [&](int more) {
        const int until = sent.load() + more;
        while (sent.load() < until && !server.exited()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    };
    wait_for_requests(8);

    EXPECT_EQ(c.Post("/v1/models/second/reload", "", "text/plain")->status, 401) << "reload needs the API key";
    const int sent_before_reload = sent.load();
    const auto reloaded = c.Post("/v1/models/second/reload", auth, "", "text/plain");
    ASSERT_TRUE(reloaded);
    ASSERT_EQ(reloaded->status, 200) << reloaded->body;
    const auto answer = json_of(reloaded);
    EXPECT_EQ(answer["model"]["name"], "second");
    EXPECT_EQ(answer["model"]["generation"], 2);
    const double reload_ms = answer["reload_ms"].get<double>();
    const int sent_during_reload = sent.load() - sent_before_reload;
    EXPECT_EQ(model_entry(c, "first", auth)["generation"], 1) << "only the named model reloads";
    wait_for_requests(4);

    // A broken file: the reload fails, says why, and the old model keeps answering.
    const std::string good_xml = read_file(second);
    std::ofstream(second, std::ios::trunc) << "<net>not a model";
    const auto broken = c.Post("/v1/models/second/reload", auth, "", "text/plain");
    ASSERT_TRUE(broken);
    EXPECT_EQ(broken->status, 500) << broken->body;
    EXPECT_EQ(json_of(broken)["error"]["code"], "reload_failed") << broken->body;
    EXPECT_NE(broken->body.find("generation 2 still serves"), std::string::npos) << broken->body;
    EXPECT_EQ(model_entry(c, "second", auth)["generation"], 2);
    wait_for_requests(4);
    std::ofstream(second, std::ios::trunc) << good_xml;

    const auto unknown = c.Post("/v1/models/nope/reload", auth, "", "text/plain");
    EXPECT_EQ(unknown->status, 404);

    // SIGHUP reloads every model.
    server.signal(SIGHUP);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < until &&
           !(model_entry(c, "first", auth)["generation"] == 2 && model_entry(c, "second", auth)["generation"] == 3))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(model_entry(c, "first", auth)["generation"], 2) << server.log();
    EXPECT_EQ(model_entry(c, "second", auth)["generation"], 3) << server.log();
    wait_for_requests(4);

    stop.store(true);
    for (auto& sender : senders) sender.join();
    EXPECT_EQ(failed.load(), 0) << "first failure: " << first_failure;
    EXPECT_FALSE(server.exited()) << server.log();
    const std::string metrics = c.Get("/metrics", auth)->body;
    EXPECT_NE(metrics.find("detserve_model_reloads_total{model=\"second\",outcome=\"failure\"} 1"), std::string::npos);
    EXPECT_NE(metrics.find("detserve_model_reloads_total{model=\"second\",outcome=\"success\"} 2"), std::string::npos);
    std::cout << "requests sent " << sent.load() << ", failed " << failed.load() << "; POST reload took " << reload_ms
              << " ms, " << sent_during_reload << " requests answered meanwhile\n";
}

TEST(HttpModelRepository, ServesEachNameFromItsHighestVersionAndReloadsANewOne) {
    if (!fs::exists(default_model_path())) FAIL() << missing_model_message(default_model_path());
    TempDir repository("detserve_repository");
    const auto add_version = [&](const std::string& name, const std::string& version) {
        const fs::path dir = repository.path() / name / version;
        fs::create_directories(dir);
        fs::create_symlink(fs::absolute(default_model_path()), dir / "model.xml");
        fs::create_symlink(fs::absolute(fs::path(default_model_path()).replace_extension(".bin")), dir / "model.bin");
    };
    add_version("people", "1");
    add_version("people", "2");
    ServerProcess server({"--model-repository", repository.path().string(), "--streams", "1"});
    ASSERT_TRUE(server.wait_until_ready()) << server.log();
    auto c = server.client();
    auto people = model_entry(c, "people");
    ASSERT_TRUE(people.is_object()) << c.Get("/v1/models")->body;
    EXPECT_EQ(people["version"], "2");
    EXPECT_EQ(json_of(c.Get("/v1/models"))["models"].size(), 1u) << "the repository replaces the one-model form";
    EXPECT_EQ(c.Get("/v2/models/people/versions/2/ready")->status, 200);
    EXPECT_EQ(c.Get("/v2/models/people/versions/1/ready")->status, 404);

    add_version("people", "10");
    const auto reloaded = c.Post("/v1/models/people/reload", "", "text/plain");
    ASSERT_EQ(reloaded->status, 200) << reloaded->body;
    people = model_entry(c, "people");
    EXPECT_EQ(people["version"], "10") << "a reload serves the highest version now present";
    EXPECT_EQ(people["generation"], 2);
}

TEST(HttpModelsConfig, DuplicateNamesStopStartUpNamingTheEntry) {
    ServerProcess server({"--models", "a=x.xml,a=y.xml"});
    const auto status = server.wait_for_exit(std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(WEXITSTATUS(*status), 2);
    EXPECT_NE(server.log().find("--models[1].name: duplicate name 'a' (models[0] has it; names must be unique)"),
              std::string::npos)
        << server.log();
}

}  // namespace
}  // namespace detserve::test
