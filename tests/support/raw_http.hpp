#pragma once
// A bare TCP connection to a local server, for requests no HTTP client library would send:
// partial heads, bodies far over a limit, lies about lengths. Every call has a deadline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>

namespace detserve::test {

class RawConnection {
public:
    explicit RawConnection(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) close();
    }
    ~RawConnection() { close(); }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;
    RawConnection(RawConnection&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

    bool connected() const { return fd_ >= 0; }

    // Sends all of `bytes` unless the peer stops reading or closes within `timeout`; true if all went.
    bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (!bytes.empty() && fd_ >= 0) {
            if (!wait(POLLOUT, until)) return false;
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return bytes.empty();
    }

    // Everything the server sends until it closes the connection or `timeout` passes.
    std::string read_all(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        std::string out;
        const auto until = std::chrono::steady_clock::now() + timeout;
        char buffer[65536];
        while (fd_ >= 0 && wait(POLLIN, until)) {
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) break;
            out.append(buffer, static_cast<std::size_t>(n));
        }
        return out;
    }

    // One answer (head + Content-Length body) without waiting for the connection to close.
    std::string read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        char buffer[65536];
        while (fd_ >= 0) {
            if (const auto end = pending_.find("\r\n\r\n"); end != std::string::npos) {
                std::smatch match;
                const std::string head = pending_.substr(0, end);
                std::size_t length = 0;
                if (std::regex_search(head, match, std::regex("Content-Length: *(\\d+)", std::regex::icase)))
                    length = std::stoul(match[1]);
                if (pending_.size() >= end + 4 + length) {
                    std::string answer = pending_.substr(0, end + 4 + length);
                    pending_.erase(0, end + 4 + length);
                    return answer;
                }
            }
            if (!wait(POLLIN, until)) break;
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) break;
            pending_.append(buffer, static_cast<std::size_t>(n));
        }
        return std::exchange(pending_, {});
    }

    // True when the server has closed its side (recv gives 0, or the connection was reset).
    bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        char buffer[4096];
        while (fd_ >= 0 && wait(POLLIN, until)) {
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) return true;
        }
        return false;
    }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    bool wait(short events, std::chrono::steady_clock::time_point until) const {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, events, 0};
        return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
    }

    int fd_ = -1;
    std::string pending_;
};

// The status code of a raw answer ("HTTP/1.1 413 …"), 0 when there is none.
inline int status_of(const std::string& answer) {
    std::smatch match;
    if (std::regex_search(answer, match, std::regex("^HTTP/1\\.[01] (\\d{3})"))) return std::stoi(match[1]);
    return 0;
}

// The body of a raw answer.
inline std::string body_of(const std::string& answer) {
    const auto end = answer.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : answer.substr(end + 4);
}

}  // namespace detserve::test
