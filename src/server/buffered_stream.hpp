#pragma once
// The stream cpp-httplib reads a request from (internal to server/): it first gives back the bytes
// read ahead while the head was checked, then reads the connection, and refuses to read more than
// a budget per request — the backstop that bounds a body whatever its framing.
#include <cstdint>
#include <string>
#include <string_view>

#include <httplib.h>

namespace detserve::server {

class BufferedStream final : public httplib::Stream {
public:
    explicit BufferedStream(httplib::Stream& connection) : connection_(connection) {}

    // Bytes read ahead and not yet consumed (the next head is gathered here).
    std::string_view buffered() const { return std::string_view(buffer_).substr(offset_); }
    // Reads once more from the connection into the buffer; the connection's read() result.
    ssize_t fill(std::size_t max_bytes);

    // A new request starts at the front of the buffer; it may read `budget` bytes in all.
    void start_request(std::uint64_t budget);
    bool over_budget() const { return over_budget_; }

    bool is_readable() const override { return offset_ < buffer_.size() || connection_.is_readable(); }
    bool is_writable() const override { return connection_.is_writable(); }
    ssize_t read(char* ptr, size_t size) override;
    ssize_t write(const char* ptr, size_t size) override { return connection_.write(ptr, size); }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        connection_.get_remote_ip_and_port(ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override { connection_.get_local_ip_and_port(ip, port); }
    socket_t socket() const override { return connection_.socket(); }

private:
    httplib::Stream& connection_;
    std::string buffer_;
    std::size_t offset_ = 0;  // buffer_[0, offset_) has been consumed
    std::uint64_t budget_ = 0;
    bool over_budget_ = false;
};

}  // namespace detserve::server
