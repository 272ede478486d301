#include "socket_stream.hpp"

#include <algorithm>
#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

namespace detserve::server {
namespace {

int poll_for(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    int ready = 0;
    do {
        ready = ::poll(&p, 1, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    return ready;
}

void address_of(const sockaddr_storage& address, std::string& ip, int& port) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
        ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
        port = ntohs(v4.sin_port);
    } else if (address.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        port = ntohs(v6.sin6_port);
    }
    ip = text;
}

}  // namespace

SocketStream::SocketStream(int fd, std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout,
                           std::atomic<std::uint64_t>& received)
    : fd_(fd), read_timeout_(read_timeout), write_timeout_(write_timeout), received_(received) {}

int SocketStream::poll_ms(std::chrono::milliseconds timeout) const {
    if (deadline_) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - Clock::now());
        timeout = std::min(timeout, std::max(left, std::chrono::milliseconds(0)));
    }
    return static_cast<int>(timeout.count());
}

bool SocketStream::wait_readable(Clock::time_point until, const std::function<bool()>& stop) const {
    constexpr auto kStopCheck = std::chrono::milliseconds(100);
    // Bytes that have already arrived are served even when stopping: closing on them would reset
    // a request the client (a proxy on a kept-alive connection) has already sent.
    while (true) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
        const int ready = poll_for(fd_, POLLIN, static_cast<int>(std::clamp(left, std::chrono::milliseconds(0), kStopCheck).count()));
        if (ready != 0) return ready > 0;
        if (left.count() <= 0 || stop()) return false;
    }
}

bool SocketStream::is_readable() const { return poll_for(fd_, POLLIN, poll_ms(read_timeout_)) > 0; }

bool SocketStream::is_writable() const { return poll_for(fd_, POLLOUT, static_cast<int>(write_timeout_.count())) > 0; }

ssize_t SocketStream::read(char* ptr, size_t size) {
    if (deadline_ && Clock::now() >= *deadline_) return -1;
    if (!is_readable()) return -1;
    ssize_t n = 0;
    do {
        n = ::recv(fd_, ptr, size, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) received_ += static_cast<std::uint64_t>(n);
    return n;
}

ssize_t SocketStream::write(const char* ptr, size_t size) {
    if (!is_writable()) return -1;
    ssize_t n = 0;
    do {
        n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
}

void SocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) address_of(address, ip, port);
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) address_of(address, ip, port);
}

}  // namespace detserve::server
