#include "route_table.hpp"

namespace detserve::server {

std::vector<Route> kserve_routes() { return {}; }

}  // namespace detserve::server
