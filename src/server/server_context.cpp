#include "server_context.hpp"

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

}  // namespace detserve::server
