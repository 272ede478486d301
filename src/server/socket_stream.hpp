#pragma once
// An accepted socket as an httplib::Stream with an absolute read deadline (internal to server/).
// cpp-httplib's own stream only has a timeout per read, so a client that sends a byte every few
// seconds could hold a worker thread for as long as it likes.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <httplib.h>

namespace detserve::server {

class SocketStream final : public httplib::Stream {
public:
    using Clock = std::chrono::steady_clock;

    // Every byte read is added to `received`.
    SocketStream(int fd, std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout,
                 std::atomic<std::uint64_t>& received);

    // Reads fail (return -1) once `deadline` has passed; nullopt: only the per-read timeout.
    void set_deadline(std::optional<Clock::time_point> deadline) { deadline_ = deadline; }

    // Waits until bytes (or the peer's close) can be read, `until` passes, or `stop()` turns true
    // while nothing has arrived (checked every 100 ms). True when readable.
    bool wait_readable(Clock::time_point until, const std::function<bool()>& stop) const;

    bool is_readable() const override;
    bool is_writable() const override;
    ssize_t read(char* ptr, size_t size) override;
    ssize_t write(const char* ptr, size_t size) override;
    void get_remote_ip_and_port(std::string& ip, int& port) const override;
    void get_local_ip_and_port(std::string& ip, int& port) const override;
    socket_t socket() const override { return fd_; }

private:
    int poll_ms(std::chrono::milliseconds timeout) const;

    int fd_;
    std::chrono::milliseconds read_timeout_, write_timeout_;
    std::optional<Clock::time_point> deadline_;
    std::atomic<std::uint64_t>& received_;
};


}  // namespace detserve::server
