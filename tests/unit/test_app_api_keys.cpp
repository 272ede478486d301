// The keys `serve` accepts: api_keys (comma-separated) plus the lines of api_keys_file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../../src/app/api_keys.hpp"

namespace detserve::app {
namespace {

namespace fs = std::filesystem;

class KeysFile {
public:
    explicit KeysFile(const std::string& content) {
        static int counter = 0;
        path_ = fs::temp_directory_path() /
                ("detserve_api_keys_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::ofstream(path_) << content;
    }
    ~KeysFile() { fs::remove(path_); }
    std::string path() const { return path_.string(); }

private:
    fs::path path_;
};

std::string error_of(const ServeConfig& config) {
    try {
        api_keys(config);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(AppApiKeys, CommaSeparatedKeysAreTrimmedAndEmptyItemsSkipped) {
    EXPECT_EQ(split_api_keys(" a1 ,, b2 ,"), (std::vector<std::string>{"a1", "b2"}));
    EXPECT_TRUE(split_api_keys("").empty());
    EXPECT_TRUE(split_api_keys(" , ").empty());
}

TEST(AppApiKeys, KeysMustBePrintableAsciiAndAtMost256Bytes) {
    EXPECT_THROW(split_api_keys("ok, two words"), std::invalid_argument);
    EXPECT_THROW(split_api_keys("caf\xc3\xa9"), std::invalid_argument);
    EXPECT_THROW(split_api_keys(std::string(kMaxApiKeyBytes + 1, 'k')), std::invalid_argument);
    EXPECT_EQ(split_api_keys(std::string(kMaxApiKeyBytes, 'k')).size(), 1u);
}

TEST(AppApiKeys, FileHasOneKeyPerLineWithCommentsAndBlankLines) {
    const KeysFile file("# the team's keys\n  first-key  \n\n#second-key is retired\r\nthird-key\r\n");
    ServeConfig config;
    config.api_keys = "flag-key";
    config.api_keys_file = file.path();
    EXPECT_EQ(api_keys(config), (std::vector<std::string>{"flag-key", "first-key", "third-key"}));
}

TEST(AppApiKeys, MissingEmptyOrBadFilesAreStartUpErrorsNamingTheFile) {
    ServeConfig config;
    config.api_keys_file = "/nonexistent/keys";
    EXPECT_EQ(error_of(config), "api_keys_file /nonexistent/keys: cannot open: No such file or directory");
    const KeysFile empty("# nothing yet\n\n");
    config.api_keys_file = empty.path();
    EXPECT_EQ(error_of(config), "api_keys_file " + empty.path() + ": holds no key (one per line; # starts a comment)");
    const KeysFile bad("good\nsecret with spaces\n");
    config.api_keys_file = bad.path();
    const std::string message = error_of(config);
    EXPECT_EQ(message.rfind("api_keys_file " + bad.path() + ": line 2: the key holds a space", 0), 0u) << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
    config.api_keys_file = fs::temp_directory_path().string();
    EXPECT_NE(error_of(config).find("is a directory"), std::string::npos);
}

TEST(AppApiKeys, NoKeysAtAllIsNoAccessControl) {
    EXPECT_TRUE(api_keys(ServeConfig{}).empty());
}

}  // namespace
}  // namespace detserve::app
