#include "server_context.hpp"

#include <iostream>
#include <mutex>
#include <sstream>

namespace detserve::server {

Admission::Admission(std::atomic<int>& admitted, int count, int limit) : admitted_(admitted) {
    int current = admitted_.load();
    while (current + count <= limit) {
        if (admitted_.compare_exchange_weak(current, current + count)) {
            count_ = count;
            return;
        }
    }
}

Admission::~Admission() {
    if (count_ > 0) admitted_.fetch_sub(count_);
}

namespace {

// A client's path as one log line can carry it: control bytes (a newline would forge a line) as \xNN.
std::string printable(const std::string& text) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : text) {
        if (c >= 0x20 && c != 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace

void ServerContext::log_answer(const std::string& remote, const std::string& method, const std::string& path,
                               int status, std::size_t body_bytes, const std::string& route, double seconds) const {
    metrics.record_request(route, status, seconds);
    if (!options.access_log) return;
    // One write per line: pieces streamed from several threads would interleave.
    std::ostringstream line;
    line << remote << " \"" << printable(method) << ' ' << printable(path) << "\" " << status << ' ' << body_bytes
         << ' ' << seconds * 1000.0 << "ms\n";
    static std::mutex log_mutex;
    std::lock_guard lock(log_mutex);
    std::clog << line.str() << std::flush;
}

}  // namespace detserve::server
