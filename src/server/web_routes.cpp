#include "route_table.hpp"

namespace detserve::server {

std::vector<Route> web_routes() { return {}; }

}  // namespace detserve::server
