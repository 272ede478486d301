// What /v1/models and /metrics say about the engine, for `engine: auto` (OpenVINO where detserve
// was built with it) and `--engine opencv`.
#include "detserve/engine/cpu_isa.hpp"
#include "detserve/engine/engine_choice.hpp"
#include "server_process.hpp"

namespace detserve::test {
namespace {

nlohmann::json served_model(httplib::Client client) {
    auto response = client.Get("/v1/models");
    if (!response || response->status != 200) return nullptr;
    return json_of(response)["models"].at(0);
}

std::string metrics_text(httplib::Client client) {
    auto response = client.Get("/metrics");
    return response && response->status == 200 ? response->body : std::string();
}

const std::string kCpuIsa = engine::join_isa(engine::host_cpu_isa_flags());

class HttpEngineAuto : public SharedServerTest<HttpEngineAuto> {
public:
    static std::vector<std::string> server_args() { return {"--streams", "2", "--threads", "1", "--max-batch", "4"}; }
};

TEST_F(HttpEngineAuto, ModelsSaysWhatRunsTheModel) {
    const auto model = served_model(client());
    ASSERT_TRUE(model.is_object());
    EXPECT_EQ(model["streams"], 2);
    EXPECT_EQ(model["cpu_isa"], kCpuIsa);
    if (!engine::openvino_built()) {
        EXPECT_EQ(model["engine"], "opencv");
        return;
    }
    EXPECT_EQ(model["engine"], "openvino");
    EXPECT_EQ(model["device"], "CPU");
    EXPECT_EQ(model["performance_hint"], "throughput");
    EXPECT_EQ(model["threads"], 2);  // INFERENCE_NUM_THREADS = streams x threads
    EXPECT_EQ(model["precision"], engine::has_bf16(engine::host_cpu_isa_flags()) ? "bf16" : "f32");
    EXPECT_EQ(model["batch"], "dynamic 1..4");
    EXPECT_EQ(model["dynamic_batch"], true);
    EXPECT_EQ(model["max_batch"], 4);
    EXPECT_FALSE(model["engine_version"].get<std::string>().empty());
}

TEST_F(HttpEngineAuto, MetricsCarryEngineInfo) {
    const auto model = served_model(client());
    ASSERT_TRUE(model.is_object());
    const std::string expected = "detserve_engine_info{model=\"" + model["name"].get<std::string>() +
                                 "\",engine=\"" + model["engine"].get<std::string>() +
                                 "\",version=\"" + model["engine_version"].get<std::string>() + "\",device=\"" +
                                 model["device"].get<std::string>() + "\",precision=\"" +
                                 model["precision"].get<std::string>() + "\",streams=\"2\",threads=\"" +
                                 std::to_string(model["threads"].get<int>()) + "\",cpu_isa=\"" + kCpuIsa + "\"} 1";
    const std::string text = metrics_text(client());
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " missing from:\n" << text;
}

class HttpEngineOpenCv : public SharedServerTest<HttpEngineOpenCv> {
public:
    static std::vector<std::string> server_args() { return {"--engine", "opencv", "--streams", "1"}; }
};

TEST_F(HttpEngineOpenCv, TheFlagChoosesOpenCv) {
    const auto model = served_model(client());
    ASSERT_TRUE(model.is_object());
    EXPECT_EQ(model["engine"], "opencv");
    EXPECT_EQ(model["device"], "cpu");
    EXPECT_EQ(model["precision"], "f32");
    EXPECT_NE(metrics_text(client()).find("detserve_engine_info{model=\"nanodet\",engine=\"opencv\""), std::string::npos);
    auto response = client().Post("/v1/detect", photo_bytes("dog.jpg"), "image/jpeg");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200) << response->body;
}

TEST(HttpEngineChoice, OpenVinoAskedOfABuildWithoutItFailsAtStartUp) {
    if (engine::openvino_built()) GTEST_SKIP() << "skipped: this build has OpenVINO";
    ServerProcess server({"--engine", "openvino"});
    const auto status = server.wait_for_exit(std::chrono::seconds(60));
    ASSERT_TRUE(status.has_value()) << server.log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << server.log();
    EXPECT_NE(server.log().find("built without OpenVINO"), std::string::npos) << server.log();
}

}  // namespace
}  // namespace detserve::test
