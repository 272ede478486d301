// The web page: GET / answers web_root/index.html, GET /web/{file} the files beside it. They are
// read from disk on every request (a few KB each), so editing web/ needs no rebuild; the ETag
// lets browsers revalidate instead of downloading again.
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "route_table.hpp"
#include "routes.hpp"

namespace detserve::server {
namespace {

namespace fs = std::filesystem;

struct ContentType {
    std::string_view extension;
    std::string_view type;
};

// Only these extensions are served: nothing else that a web root might hold leaks out.
constexpr ContentType kContentTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

// The page loads nothing from other origins; a browser that enforces this turns a stray CDN link
// into a visible console error instead of a silent dependency.
constexpr std::string_view kPagePolicy =
    "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

std::string_view content_type_of(std::string_view name) {
    for (const auto& entry : kContentTypes)
        if (name.size() > entry.extension.size() && name.ends_with(entry.extension)) return entry.type;
    return {};
}

// A file directly in web_root: letters, digits, '-', '_' and '.', not starting with '.', so that
// "..", hidden files and subdirectories are out of reach whatever the URL decoding produced.
bool is_plain_file_name(std::string_view name) {
    if (name.empty() || name.front() == '.' || name.find("..") != std::string_view::npos) return false;
    for (const char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
    return true;
}

fs::path web_root(const ServerContext& context) {
    const fs::path root = context.options.web_root;
    std::error_code error;
    if (!fs::is_directory(root, error))
        throw ApiError(500, "web_root_missing",
                       "the web page's directory '" + fs::absolute(root, error).string() +
                           "' does not exist; set web_root (--web-root, DETSERVE_WEB_ROOT) to the repository's web/ "
                           "directory (a relative path is taken from the server's working directory)");
    return root;
}

// Size and modification time: changes whenever the file is edited or replaced.
std::string entity_tag(const fs::path& path) {
    std::ostringstream tag;
    tag << '"' << std::hex << fs::file_size(path) << '-'
        << fs::last_write_time(path).time_since_epoch().count() << '"';
    return tag.str();
}

void send_file(const ServerContext& context, const httplib::Request& request, httplib::Response& response,
               const std::string& name) {
    const std::string_view type = content_type_of(name);
    if (!is_plain_file_name(name) || type.empty())
        throw ApiError(404, "not_found",
                       "'" + name + "' is not served: only .html, .css, .js, .json, .svg, .png and .ico files directly "
                       "in the web root are");
    const fs::path path = web_root(context) / name;
    std::error_code error;
    if (!fs::is_regular_file(path, error))
        throw ApiError(404, "not_found", "no file '" + name + "' in the web root");

    const std::string tag = entity_tag(path);
    response.set_header("ETag", tag);
    response.set_header("Cache-Control", "no-cache");  // revalidate: file names carry no version
    response.set_header("X-Content-Type-Options", "nosniff");
    if (type.starts_with("text/html")) response.set_header("Content-Security-Policy", std::string(kPagePolicy));
    if (request.get_header_value("If-None-Match") == tag) {
        response.status = 304;
        return;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ApiError(500, "internal_error", "could not read '" + path.string() + "'");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    response.set_content(bytes.str(), std::string(type));
}

void handle_index(ServerContext& context, const httplib::Request& request, httplib::Response& response) {
    send_file(context, request, response, "index.html");
}

void handle_web_file(ServerContext& context, const httplib::Request& request, httplib::Response& response) {
    send_file(context, request, response, request.matches[1]);
}

}  // namespace

std::vector<Route> web_routes() {
    return {
        {"GET", "/", "/", ErrorStyle::native, handle_index, "The web page: upload photos, see the detections drawn",
         RouteAccess::open},
        {"GET", "/web/{file}", "/web/([^/]+)", ErrorStyle::native, handle_web_file,
         "The web page's scripts, styles and icons (files directly in web_root)", RouteAccess::open},
    };
}

}  // namespace detserve::server
