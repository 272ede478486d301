#pragma once
// An httplib::Stream over bytes in memory, for feeding a whole connection to the server: reads
// return the input in order and then 0 (the client closed), writes are discarded — or copied to
// stderr when DETSERVE_FUZZ_ECHO=1, to see the answers while reproducing an input.
#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace detserve::fuzz {

class MemoryStream final : public httplib::Stream {
public:
    explicit MemoryStream(std::string_view input) : input_(input) {}

    bool is_readable() const override { return true; }
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override {
        const std::size_t n = std::min(size, input_.size() - position_);
        std::memcpy(ptr, input_.data() + position_, n);
        position_ += n;
        return static_cast<ssize_t>(n);
    }
    ssize_t write(const char* ptr, size_t size) override {
        static const bool echo = std::getenv("DETSERVE_FUZZ_ECHO") != nullptr;
        if (echo) std::fwrite(ptr, 1, size, stderr);
        written_ += size;
        return static_cast<ssize_t>(size);
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = "192.0.2.7";  // TEST-NET-1 (RFC 5737)
        port = 40000;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 8080;
    }
    socket_t socket() const override { return -1; }

    std::size_t written() const { return written_; }

private:
    std::string_view input_;
    std::size_t position_ = 0;
    std::size_t written_ = 0;
};

}  // namespace detserve::fuzz
