#include "buffered_stream.hpp"

#include <algorithm>
#include <cstring>

namespace detserve::server {

ssize_t BufferedStream::fill(std::size_t max_bytes) {
    buffer_.erase(0, offset_);
    offset_ = 0;
    const std::size_t old_size = buffer_.size();
    buffer_.resize(old_size + max_bytes);
    const ssize_t n = connection_.read(buffer_.data() + old_size, max_bytes);
    buffer_.resize(old_size + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    return n;
}

void BufferedStream::start_request(std::uint64_t budget) {
    budget_ = budget;
    over_budget_ = false;
}

ssize_t BufferedStream::read(char* ptr, size_t size) {
    if (budget_ == 0) {
        over_budget_ = true;
        return -1;
    }
    size = static_cast<size_t>(std::min<std::uint64_t>(size, budget_));
    ssize_t n = 0;
    if (offset_ < buffer_.size()) {
        n = static_cast<ssize_t>(std::min(size, buffer_.size() - offset_));
        std::memcpy(ptr, buffer_.data() + offset_, static_cast<size_t>(n));
        offset_ += static_cast<std::size_t>(n);
    } else {
        n = connection_.read(ptr, size);
    }
    if (n > 0) budget_ -= static_cast<std::uint64_t>(n);
    return n;
}

}  // namespace detserve::server
