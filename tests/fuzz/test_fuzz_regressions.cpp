// Replays every fuzz input kept in the repository through its target, in the normal build: each
// file of fuzz/regressions/<target>/ (an input that once crashed, hung or leaked, kept after the
// fix) and of fuzz/corpus/<target>/ (the seeds). A target that crashes fails the whole binary;
// an exception escaping it fails the test naming the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../../fuzz/targets/fuzz_targets.hpp"

namespace fs = std::filesystem;
using detserve::fuzz::FuzzTarget;
using detserve::fuzz::kFuzzTargets;

namespace {

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> files;
    if (fs::is_directory(dir))
        for (const auto& entry : fs::directory_iterator(dir))
            if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void replay(const FuzzTarget& target, const fs::path& dir) {
    for (const auto& file : files_in(dir)) {
        SCOPED_TRACE(file.string());
        const auto bytes = read_bytes(file);
        EXPECT_NO_THROW(EXPECT_EQ(target.run(bytes.data(), bytes.size()), 0));
    }
}

class FuzzInputs : public testing::TestWithParam<FuzzTarget> {};

TEST_P(FuzzInputs, RegressionsReplayWithoutCrash) {
    replay(GetParam(), fs::path(DETSERVE_SOURCE_DIR) / "fuzz" / "regressions" / std::string(GetParam().name));
}

TEST_P(FuzzInputs, SeedsReplayWithoutCrash) {
    const fs::path dir = fs::path(DETSERVE_SOURCE_DIR) / "fuzz" / "corpus" / std::string(GetParam().name);
    ASSERT_FALSE(files_in(dir).empty()) << "no seeds in " << dir;
    replay(GetParam(), dir);
}

// Empty and one-byte inputs: the smallest cases every target must take.
TEST_P(FuzzInputs, TinyInputs) {
    const std::uint8_t bytes[4] = {0, 1, 0xff, '\n'};
    for (std::size_t n = 0; n <= 4; ++n) EXPECT_NO_THROW(GetParam().run(bytes, n)) << n << " bytes";
}

INSTANTIATE_TEST_SUITE_P(Fuzz, FuzzInputs, testing::ValuesIn(kFuzzTargets),
                         [](const testing::TestParamInfo<FuzzTarget>& info) { return std::string(info.param.name); });

}  // namespace
