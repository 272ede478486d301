#include "model_table.hpp"

#include <chrono>
#include <ctime>

namespace detserve::server {
namespace {

// "2026-12-07T19:34:36.123Z"
std::string utc_now_iso8601() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    char with_millis[40];
    std::snprintf(with_millis, sizeof with_millis, "%s.%03dZ", text, static_cast<int>(millis));
    return with_millis;
}

}  // namespace

std::shared_ptr<const ServingModel> ModelTable::put(std::shared_ptr<pipeline::Pipeline> pipeline, ServedModel model) {
    model.loaded_at = utc_now_iso8601();
    std::lock_guard lock(mutex_);
    for (auto& entry : models_) {
        if (entry->model.name != model.name) continue;
        model.generation = entry->model.generation + 1;
        auto replaced = std::move(entry);
        entry = std::make_shared<const ServingModel>(ServingModel{std::move(pipeline), std::move(model)});
        return replaced;
    }
    model.generation = 1;
    models_.push_back(std::make_shared<const ServingModel>(ServingModel{std::move(pipeline), std::move(model)}));
    return nullptr;
}

std::shared_ptr<const ServingModel> ModelTable::find(const std::string& name) const {
    std::lock_guard lock(mutex_);
    for (const auto& entry : models_)
        if (entry->model.name == name) return entry;
    return nullptr;
}

std::shared_ptr<const ServingModel> ModelTable::first() const {
    std::lock_guard lock(mutex_);
    return models_.empty() ? nullptr : models_.front();
}

std::vector<std::shared_ptr<const ServingModel>> ModelTable::all() const {
    std::lock_guard lock(mutex_);
    return models_;
}

std::vector<std::string> ModelTable::names() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& entry : models_) out.push_back(entry->model.name);
    return out;
}

}  // namespace detserve::server
