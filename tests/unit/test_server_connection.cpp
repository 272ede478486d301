// The pieces of connection handling that need no socket: head checks, connection counting, the
// buffered stream's replay and read budget.
#include <gtest/gtest.h>

#include <cstring>

#include "../../src/server/buffered_stream.hpp"
#include "../../src/server/connection_limits.hpp"
#include "../../src/server/request_head.hpp"

namespace detserve::server {
namespace {

HeadLimits limits(std::int64_t max_body = 1000, bool compressed = false) {
    HeadLimits l;
    l.max_header_bytes = 4096;
    l.max_body_bytes = max_body;
    l.allow_compressed_bodies = compressed;
    return l;
}

std::optional<int> status(const std::string& head, const HeadLimits& l = limits()) {
    const auto problem = check_request_head(head, l);
    if (!problem) return std::nullopt;
    return problem->status;
}

TEST(RequestHead, FindsTheEndOfTheHeadWithCrlfOrBareLf) {
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"), 27u);
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: x\n\nbody"), 24u);
    EXPECT_FALSE(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n"));
    EXPECT_FALSE(find_head_end("GET / HTTP/1.1"));
}

TEST(RequestHead, AcceptsOrdinaryRequests) {
    EXPECT_FALSE(status("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_FALSE(status("POST /v1/detect HTTP/1.1\r\nContent-Length: 1000\r\n\r\n"));
    EXPECT_FALSE(status("POST /v1/detect HTTP/1.1\r\nContent-Length: 10\r\ncontent-length: 10\r\n\r\n"));
    EXPECT_FALSE(status("POST /v1/detect HTTP/1.1\r\nContent-Length: 10, 10\r\n\r\n"));
    EXPECT_FALSE(status("POST /v1/detect HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"));
    EXPECT_FALSE(status("POST /v1/detect HTTP/1.1\r\nContent-Encoding: identity\r\n\r\n"));
}

TEST(RequestHead, RefusesLengthsThatDisagreeOrAreNotNumbers) {
    EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n"), 400);
    EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n"), 400);
    EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n"), 400);
    EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n"), 400);
    EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"), 400);
    EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n"), 400);
}

TEST(RequestHead, DeclaredLengthOverTheLimitIs413) {
    const auto problem = check_request_head("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", limits(1000));
    ASSERT_TRUE(problem);
    EXPECT_EQ(problem->status, 413);
    EXPECT_NE(problem->message.find("1001"), std::string::npos) << problem->message;
    EXPECT_NE(problem->message.find("1000"), std::string::npos) << problem->message;
}

TEST(RequestHead, TransferEncodingIsChunkedAloneAndNeverWithALength) {
    EXPECT_EQ(status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), 400);
    EXPECT_EQ(status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
    EXPECT_EQ(status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
}

TEST(RequestHead, CompressedBodiesOnlyWhenAllowed) {
    const std::string gzip = "POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\n";
    EXPECT_EQ(status(gzip), 415);
    EXPECT_FALSE(status(gzip, limits(1000, true)));
    EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Encoding: zstd\r\n\r\n", limits(1000, true)), 415);
    EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Encoding: br\r\n\r\n"), 415);
}

TEST(RequestHead, LongLinesAre414Or431) {
    EXPECT_EQ(status("GET /" + std::string(kMaxRequestLineBytes, 'a') + " HTTP/1.1\r\n\r\n",
                     [] { auto l = limits(); l.max_header_bytes = 65536; return l; }()),
              414);
    EXPECT_EQ(status("GET / HTTP/1.1\r\nX-A: " + std::string(kMaxHeaderLineBytes, 'a') + "\r\n\r\n",
                     [] { auto l = limits(); l.max_header_bytes = 65536; return l; }()),
              431);
    EXPECT_EQ(oversized_head("GET /aaaaaaaa", limits()).status, 414);  // the request line never ended
    EXPECT_EQ(oversized_head("GET / HTTP/1.1\r\nX-A: aaaa", limits()).status, 431);
}

TEST(RequestHead, SaysWhetherTheServerReadsTheBody) {
    HeadSummary summary;
    ASSERT_FALSE(check_request_head("GET / HTTP/1.1\r\nContent-Length: 4\r\n\r\n", limits(), &summary));
    EXPECT_TRUE(summary.has_body);
    EXPECT_FALSE(summary.body_read_by_server);
    ASSERT_FALSE(check_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", limits(), &summary));
    EXPECT_TRUE(summary.has_body);
    EXPECT_TRUE(summary.body_read_by_server);
    ASSERT_FALSE(check_request_head("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", limits(), &summary));
    EXPECT_FALSE(summary.has_body);
}

TEST(RequestHead, PathOfTheRequestLine) {
    EXPECT_EQ(request_path("POST /v1/vision/detection?x=1 HTTP/1.1\r\n"), "/v1/vision/detection");
    EXPECT_EQ(request_path("GET /v2/health/live HTTP/1.1\r\n\r\n"), "/v2/health/live");
    EXPECT_EQ(request_path("garbage"), "");
}

TEST(ConnectionLimits, CountsPerAddressAndInAll) {
    ConnectionLimits connections(3, 2);
    auto a1 = connections.acquire("10.0.0.1");
    auto a2 = connections.acquire("10.0.0.1");
    auto a3 = connections.acquire("10.0.0.1");
    EXPECT_TRUE(a1);
    EXPECT_TRUE(a2);
    EXPECT_FALSE(a3) << "a third connection from one address over a per-address limit of 2";
    auto b1 = connections.acquire("10.0.0.2");
    EXPECT_TRUE(b1);
    EXPECT_FALSE(connections.acquire("10.0.0.3")) << "a fourth connection over a total of 3";
    EXPECT_EQ(connections.open(), 3u);
    a1 = {};
    EXPECT_EQ(connections.open(), 2u);
    EXPECT_TRUE(connections.acquire("10.0.0.3"));
    EXPECT_EQ(connections.open(), 2u);  // that slot was a temporary, released at once
}

// Reads from a string, a few bytes at a time, like a socket.
class StringStream final : public httplib::Stream {
public:
    explicit StringStream(std::string data, std::size_t step) : data_(std::move(data)), step_(step) {}
    bool is_readable() const override { return true; }
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override {
        const std::size_t n = std::min({size, step_, data_.size() - offset_});
        std::memcpy(ptr, data_.data() + offset_, n);
        offset_ += n;
        return static_cast<ssize_t>(n);
    }
    ssize_t write(const char*, size_t size) override { return static_cast<ssize_t>(size); }
    void get_remote_ip_and_port(std::string&, int&) const override {}
    void get_local_ip_and_port(std::string&, int&) const override {}
    socket_t socket() const override { return -1; }

private:
    std::string data_;
    std::size_t offset_ = 0, step_;
};

TEST(BufferedStream, ReplaysWhatWasReadAheadThenReadsOn) {
    StringStream source("GET / HTTP/1.1\r\n\r\nrest of it", 5);
    BufferedStream stream(source);
    while (!find_head_end(stream.buffered())) ASSERT_GT(stream.fill(5), 0);
    EXPECT_EQ(stream.buffered().rfind("GET / HTTP/1.1\r\n\r\n", 0), 0u);  // and what came with it
    stream.start_request(1000);
    std::string all;
    char buffer[3];
    for (ssize_t n; (n = stream.read(buffer, sizeof buffer)) > 0;) all.append(buffer, static_cast<std::size_t>(n));
    EXPECT_EQ(all, "GET / HTTP/1.1\r\n\r\nrest of it");
    EXPECT_FALSE(stream.over_budget());
}

TEST(BufferedStream, StopsAtTheRequestsBudget) {
    StringStream source(std::string(100, 'x'), 64);
    BufferedStream stream(source);
    stream.start_request(10);
    char buffer[64];
    EXPECT_EQ(stream.read(buffer, sizeof buffer), 10);
    EXPECT_EQ(stream.read(buffer, sizeof buffer), -1);
    EXPECT_TRUE(stream.over_budget());
}

}  // namespace
}  // namespace detserve::server
