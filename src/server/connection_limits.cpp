#include "connection_limits.hpp"

#include <utility>

namespace detserve::server {

ConnectionLimits::Slot::Slot(Slot&& other) noexcept
    : limits_(std::exchange(other.limits_, nullptr)), address_(std::move(other.address_)) {}

ConnectionLimits::Slot& ConnectionLimits::Slot::operator=(Slot&& other) noexcept {
    if (this != &other) {
        if (limits_) limits_->release(address_);
        limits_ = std::exchange(other.limits_, nullptr);
        address_ = std::move(other.address_);
    }
    return *this;
}

ConnectionLimits::Slot::~Slot() {
    if (limits_) limits_->release(address_);
}

ConnectionLimits::Slot ConnectionLimits::acquire(const std::string& address) {
    std::lock_guard lock(mutex_);
    auto& from_address = per_address_[address];
    if (total_ >= max_total_ || from_address >= max_per_address_) {
        if (from_address == 0) per_address_.erase(address);
        return {};
    }
    ++total_;
    ++from_address;
    return Slot(this, address);
}

std::size_t ConnectionLimits::open() const {
    std::lock_guard lock(mutex_);
    return total_;
}

void ConnectionLimits::release(const std::string& address) {
    std::lock_guard lock(mutex_);
    --total_;
    if (const auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0)
        per_address_.erase(it);
}

}  // namespace detserve::server
