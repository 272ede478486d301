// `detserve serve`'s settings (src/app/serve_config.cpp): a config file, DETSERVE_* environment
// variables and --flags, merged as load_serve_config merges them.
// Input: the config file's text up to the first NUL; after it, NUL-separated words: a word
// "DETSERVE_KEY=value" is an environment variable, any other word a command-line argument
// (except --config: the file is always the memfd).
// The config file is a memfd, read through its /proc/self/fd path.
#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "detserve/app/serve_config.hpp"
#include "fuzz_targets.hpp"

namespace detserve::fuzz {
namespace {

class MemoryFile {
public:
    explicit MemoryFile(std::string_view text) : fd_(memfd_create("fuzz-config.json", 0)) {
        for (std::size_t done = 0; fd_ >= 0 && done < text.size();) {
            const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
    }
    ~MemoryFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;
    std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

private:
    int fd_;
};

}  // namespace

int fuzz_serve_config(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nul = input.find('\0');
    const MemoryFile file(input.substr(0, nul));
    std::vector<std::string> args{"--config", file.path()};
    std::map<std::string, std::string, std::less<>> env;
    for (std::size_t at = nul; at != std::string_view::npos && at < input.size();) {
        const auto next = input.find('\0', at + 1);
        const std::string word(input.substr(at + 1, next == std::string_view::npos ? next : next - at - 1));
        const auto eq = word.find('=');
        if (word.starts_with("DETSERVE_") && eq != std::string::npos)
            env[word.substr(0, eq)] = word.substr(eq + 1);
        else if (!word.starts_with("--config"))  // another file (/dev/zero) would only test the OS
            args.push_back(word);
        at = next;
    }
    const auto getenv = [&env](const char* name) -> const char* {
        const auto it = env.find(std::string_view(name));
        return it == env.end() ? nullptr : it->second.c_str();
    };
    try {
        const app::ServeConfig config = app::load_serve_config(args, getenv);
        app::to_json(config).dump();
    } catch (const app::ConfigError&) {
    } catch (const app::HelpRequested&) {
    }
    return 0;
}

}  // namespace detserve::fuzz
