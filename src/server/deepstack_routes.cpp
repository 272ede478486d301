#include "route_table.hpp"

namespace detserve::server {

std::vector<Route> deepstack_routes() { return {}; }

}  // namespace detserve::server
