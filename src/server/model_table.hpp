#pragma once
// The models a server serves, by name (internal to server/). A route takes a snapshot of one
// model (a shared_ptr) for the length of its request: a reload puts a new entry in place and the
// old pipeline lives on until the last request holding it has been answered.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "detserve/server/http_server.hpp"

namespace detserve::server {

struct ServingModel {
    std::shared_ptr<pipeline::Pipeline> pipeline;
    ServedModel model;
};

class ModelTable {
public:
    // Adds a model, or replaces the one of the same name (its generation goes up by one, the first
    // model keeps its place). Stamps `generation` and `loaded_at`. Returns the entry replaced, for
    // the caller to let go of outside the table's lock (its pipeline may be destroyed with it).
    std::shared_ptr<const ServingModel> put(std::shared_ptr<pipeline::Pipeline> pipeline, ServedModel model);

    std::shared_ptr<const ServingModel> find(const std::string& name) const;
    // The default model (the first in the config), or nullptr before any is loaded.
    std::shared_ptr<const ServingModel> first() const;
    // Every model, in config order.
    std::vector<std::shared_ptr<const ServingModel>> all() const;
    std::vector<std::string> names() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<const ServingModel>> models_;
};

}  // namespace detserve::server
