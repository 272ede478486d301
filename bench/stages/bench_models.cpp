#include "bench_models.hpp"

#include <memory>
#include <vector>

#include "bench_inputs.hpp"

namespace detserve::bench {

engine::CompiledModel& compiled_model(std::size_t stream) {
    static std::vector<std::unique_ptr<engine::CompiledModel>> models;
    while (models.size() <= stream) models.push_back(app::compile_model(default_model(), {}));
    return *models[stream];
}

}  // namespace detserve::bench
