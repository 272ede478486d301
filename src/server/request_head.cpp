#include "request_head.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace detserve::server {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && lower(a) == lower(b); }

// The lines of a head without their line endings, the blank line excluded.
std::vector<std::string_view> head_lines(std::string_view head) {
    std::vector<std::string_view> lines;
    while (!head.empty()) {
        const auto end = head.find('\n');
        std::string_view line = head.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        lines.push_back(line);
        if (end == std::string_view::npos) break;
        head.remove_prefix(end + 1);
    }
    return lines;
}

std::string_view first_line(std::string_view text) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

HeadProblem problem(int status, std::string code, std::string message) {
    return {status, std::move(code), std::move(message)};
}

// Methods whose body cpp-httplib 0.11 reads (Server::routing, detail::expect_content).
bool server_reads_body(std::string_view method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" || method == "PRI";
}

// Every value of a Content-Length field list ("5" or "5, 5"); nullopt if one is not all digits.
std::optional<std::vector<std::uint64_t>> content_lengths(std::string_view value) {
    std::vector<std::uint64_t> out;
    while (true) {
        const auto comma = value.find(',');
        const auto item = trim(value.substr(0, comma));
        if (item.empty() || item.size() > 19 ||
            !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        std::uint64_t n = 0;
        for (const char c : item) n = n * 10 + static_cast<std::uint64_t>(c - '0');
        out.push_back(n);
        if (comma == std::string_view::npos) return out;
        value.remove_prefix(comma + 1);
    }
}

}  // namespace

std::optional<std::size_t> find_head_end(std::string_view buffer) {
    for (std::size_t i = buffer.find('\n'); i != std::string_view::npos; i = buffer.find('\n', i + 1)) {
        if (i + 1 < buffer.size() && buffer[i + 1] == '\n') return i + 2;
        if (i + 2 < buffer.size() && buffer[i + 1] == '\r' && buffer[i + 2] == '\n') return i + 3;
    }
    return std::nullopt;
}

HeadProblem oversized_head(std::string_view partial, const HeadLimits& limits) {
    const bool line_ended = partial.find('\n') != std::string_view::npos;
    if (!line_ended || first_line(partial).size() > kMaxRequestLineBytes)
        return problem(414, "uri_too_long",
                       "the request line is longer than " + std::to_string(kMaxRequestLineBytes) + " bytes");
    return problem(431, "headers_too_large",
                   "the request headers are larger than max_header_bytes (" +
                       std::to_string(limits.max_header_bytes) + ")");
}

std::optional<HeadProblem> check_request_head(std::string_view head, const HeadLimits& limits, HeadSummary* summary) {
    if (head.size() > limits.max_header_bytes) return oversized_head(head, limits);
    const auto lines = head_lines(head);
    if (lines.empty()) return problem(400, "bad_request", "the request has no request line");
    if (lines.front().size() > kMaxRequestLineBytes) return oversized_head(head, limits);
    const std::string_view method = lines.front().substr(0, lines.front().find(' '));

    std::optional<std::uint64_t> length;
    std::optional<std::string> transfer_encoding, content_encoding;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto line = lines[i];
        if (line.size() > kMaxHeaderLineBytes)
            return problem(431, "headers_too_large",
                           "a header line is longer than " + std::to_string(kMaxHeaderLineBytes) + " bytes");
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;  // cpp-httplib's parser decides about these
        const auto name = trim(line.substr(0, colon));
        const auto value = trim(line.substr(colon + 1));
        if (iequals(name, "Content-Length")) {
            const auto values = content_lengths(value);
            if (!values) return problem(400, "bad_request", "Content-Length is not a number");
            for (const auto n : *values) {
                if (length && *length != n)
                    return problem(400, "bad_request", "the request has differing Content-Length values");
                length = n;
            }
        } else if (iequals(name, "Transfer-Encoding")) {
            transfer_encoding = (transfer_encoding ? *transfer_encoding + ", " : std::string()) + lower(value);
        } else if (iequals(name, "Content-Encoding")) {
            content_encoding = (content_encoding ? *content_encoding + ", " : std::string()) + lower(value);
        }
    }
    if (transfer_encoding && length)
        return problem(400, "bad_request", "the request has both Transfer-Encoding and Content-Length");
    if (transfer_encoding && *transfer_encoding != "chunked")
        return problem(501, "not_implemented",
                       "Transfer-Encoding '" + *transfer_encoding + "' is not supported; send chunked or a Content-Length");
    if (length && *length > static_cast<std::uint64_t>(limits.max_body_bytes))
        return problem(413, "body_too_large",
                       "the request body (" + std::to_string(*length) + " bytes) is larger than max_body_bytes (" +
                           std::to_string(limits.max_body_bytes) + ")");
    if (content_encoding && *content_encoding != "identity") {
        if (!limits.allow_compressed_bodies)
            return problem(415, "unsupported_content_encoding",
                           "compressed request bodies (Content-Encoding: " + *content_encoding +
                               ") are not accepted; send the body uncompressed (or set allow_compressed_bodies)");
        if (*content_encoding != "gzip" && *content_encoding != "deflate" && *content_encoding != "br")
            return problem(415, "unsupported_content_encoding",
                           "Content-Encoding '" + *content_encoding + "' is not supported (gzip, deflate, br)");
    }
    if (summary) {
        summary->has_body = transfer_encoding.has_value() || (length && *length > 0);
        summary->body_read_by_server = server_reads_body(method);
    }
    return std::nullopt;
}

std::string request_path(std::string_view head) {
    const auto line = first_line(head);
    const auto start = line.find(' ');
    if (start == std::string_view::npos) return {};
    auto target = line.substr(start + 1);
    target = target.substr(0, target.find(' '));
    return std::string(target.substr(0, target.find('?')));
}

}  // namespace detserve::server
