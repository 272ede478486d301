#pragma once
// Open connections, in all and per client address (internal to server/): beyond either limit a
// new connection is answered 503 and closed instead of taking a worker thread for long.
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace detserve::server {

class ConnectionLimits {
public:
    ConnectionLimits(std::size_t max_total, std::size_t max_per_address)
        : max_total_(max_total), max_per_address_(max_per_address) {}

    // Holds one connection's place while it lives; empty when it did not fit.
    class Slot {
    public:
        Slot() = default;
        Slot(Slot&& other) noexcept;
        Slot& operator=(Slot&& other) noexcept;
        ~Slot();
        explicit operator bool() const { return limits_ != nullptr; }

    private:
        friend class ConnectionLimits;
        Slot(ConnectionLimits* limits, std::string address) : limits_(limits), address_(std::move(address)) {}
        ConnectionLimits* limits_ = nullptr;
        std::string address_;
    };

    Slot acquire(const std::string& address);
    std::size_t open() const;

private:
    void release(const std::string& address);

    const std::size_t max_total_, max_per_address_;
    mutable std::mutex mutex_;
    std::size_t total_ = 0;
    std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace detserve::server
