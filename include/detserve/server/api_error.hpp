#pragma once
// The native routes' error answer: an HTTP status and {"error":{"code","message"}}.
#include <stdexcept>
#include <string>

#include "detserve/pipeline/request.hpp"

namespace detserve::server {

class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string code, const std::string& message)
        : std::runtime_error(message), status_(status), code_(std::move(code)) {}
    int status() const { return status_; }
    const std::string& code() const { return code_; }

private:
    int status_;
    std::string code_;
};

// {"error":{"code":…,"message":…}}, serialised.
std::string error_body(const std::string& code, const std::string& message);

// The HTTP status for a pipeline failure: bad images 400/413/415, deadline 504, the rest 500/503.
int status_for(const pipeline::Failure& failure);

}  // namespace detserve::server
