#pragma once
// Starts the real `detserve serve` binary on 127.0.0.1 with an ephemeral port and talks to it over
// loopback HTTP. Its stderr goes to a file, from which the bound port is read.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../integration/test_paths.hpp"

extern char** environ;

namespace detserve::test {

using namespace std::chrono_literals;

inline std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

inline std::string photo_bytes(std::string_view name) {
    const auto path = sample_photo(name);
    if (path.empty()) return {};
    return read_file(path);
}

class ServerProcess {
public:
    // `args` come after `serve --host 127.0.0.1 --port 0 --model <default model>`. The process runs
    // in `working_directory` when one is given (config/models/<stem>.json is looked up under it).
    explicit ServerProcess(const std::vector<std::string>& args = {}, const std::vector<std::string>& env = {},
                           const fs::path& working_directory = {}) {
        static int counter = 0;
        log_path_ = fs::temp_directory_path() /
                    ("detserve-http-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".log");
        std::vector<std::string> argv_strings{DETSERVE_BINARY, "serve",   "--host", "127.0.0.1", "--port", "0",
                                              "--model",       default_model_path().string()};
        argv_strings.insert(argv_strings.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& s : argv_strings) argv.push_back(s.data());
        argv.push_back(nullptr);

        std::vector<std::string> env_strings;
        for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
        env_strings.insert(env_strings.end(), env.begin(), env.end());
        std::vector<char*> envp;
        for (auto& s : env_strings) envp.push_back(s.data());
        envp.push_back(nullptr);

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        if (!working_directory.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str());
        const int error = posix_spawn(&pid_, DETSERVE_BINARY, &actions, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        if (error != 0) pid_ = -1;
    }

    ~ServerProcess() {
        if (pid_ > 0 && !exit_status_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        std::error_code ignored;
        fs::remove(log_path_, ignored);
    }

    // The port from "listening on http://127.0.0.1:PORT", or 0 when the process never got there.
    int wait_for_port(std::chrono::seconds timeout = 30s) {
        const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until && !exited()) {
            std::smatch match;
            const std::string text = log();
            if (std::regex_search(text, match, listening)) return port_ = std::stoi(match[1]);
            std::this_thread::sleep_for(20ms);
        }
        return 0;
    }

    // Polls GET /readyz until 200.
    bool wait_until_ready(std::chrono::seconds timeout = 120s) {
        if (!port_ && !wait_for_port()) return false;
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until && !exited()) {
            auto response = client().Get("/readyz");
            if (response && response->status == 200) return true;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }

    // Starts and waits for readiness, failing the test with the server's log otherwise.
    static std::unique_ptr<ServerProcess> start_ready(const std::vector<std::string>& args = {}) {
        auto server = std::make_unique<ServerProcess>(args);
        EXPECT_TRUE(server->wait_until_ready()) << "detserve serve never became ready; its log:\n" << server->log();
        return server;
    }

    httplib::Client client(std::chrono::seconds timeout = 120s) const {
        httplib::Client c("127.0.0.1", port_);
        c.set_read_timeout(timeout);
        c.set_write_timeout(timeout);
        c.set_connection_timeout(10s);
        return c;
    }

    void signal(int number) const { kill(pid_, number); }

    // Waits for the process to end; its exit status (as waitpid gives it) or nullopt on timeout.
    std::optional<int> wait_for_exit(std::chrono::seconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            if (exited()) return exit_status_;
            std::this_thread::sleep_for(20ms);
        }
        return std::nullopt;
    }

    bool exited() {
        if (exit_status_) return true;
        int status = 0;
        if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) exit_status_ = status;
        return exit_status_.has_value() || pid_ <= 0;
    }

    std::string log() const { return read_file(log_path_); }
    int port() const { return port_; }
    pid_t pid() const { return pid_; }

    // A field of a /proc/PID file, e.g. ("status", "VmRSS") in kB; -1 if absent.
    long long proc_field(const std::string& file, const std::string& field) const {
        std::ifstream in("/proc/" + std::to_string(pid_) + "/" + file);
        for (std::string line; std::getline(in, line);)
            if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
        return -1;
    }

private:
    pid_t pid_ = -1;
    int port_ = 0;
    std::optional<int> exit_status_;
    fs::path log_path_;
};

// One server for a whole test suite: `Suite` may define `static std::vector<std::string>
// server_args()` for its flags. Tests talk to it through client().
template <class Suite>
class SharedServerTest : public ::testing::Test {
protected:
    static std::vector<std::string> server_args() { return {}; }

    // No assertion here: any failure in SetUpTestSuite makes GoogleTest 1.12 *skip* every test of
    // the suite, and gtest_discover_tests' skip pattern then makes ctest count them as skipped,
    // not failed (exit 0). A server that never became ready is reported by SetUp, in each test.
    static void SetUpTestSuite() {
        startup_failure_.clear();
        if (!fs::exists(default_model_path())) {
            startup_failure_ = missing_model_message(default_model_path());
            return;
        }
        auto server = std::make_unique<ServerProcess>(Suite::server_args());
        if (!server->wait_until_ready())
            startup_failure_ = "detserve serve never became ready; its log:\n" + server->log();
        server_ = server.release();
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override {
        ASSERT_TRUE(startup_failure_.empty()) << startup_failure_;
        ASSERT_NE(server_, nullptr);
        ASSERT_FALSE(server_->exited()) << server_->log();
    }
    httplib::Client client() { return server_->client(); }

    static inline ServerProcess* server_ = nullptr;
    static inline std::string startup_failure_;
};

inline nlohmann::json json_of(const httplib::Result& result) {
    if (!result) return nullptr;
    return nlohmann::json::parse(result->body, nullptr, false);
}

// Asserts the native error shape and returns its code.
inline std::string error_code(const httplib::Result& result) {
    const auto body = json_of(result);
    if (!body.is_object() || !body.contains("error") || !body["error"].contains("code") ||
        !body["error"].contains("message") || !body["error"]["message"].is_string() ||
        body["error"]["message"].get<std::string>().empty()) {
        ADD_FAILURE() << "not a native error body: " << (result ? result->body : "(no response)");
        return {};
    }
    return body["error"]["code"];
}

inline std::vector<std::string> labels_of(const nlohmann::json& answer) {
    std::vector<std::string> labels;
    for (const auto& d : answer["detections"]) labels.push_back(d["label"]);
    return labels;
}

inline bool has_label(const nlohmann::json& answer, const std::string& label) {
    const auto labels = labels_of(answer);
    return std::find(labels.begin(), labels.end(), label) != labels.end();
}

}  // namespace detserve::test
