// Requests whose framing is hostile — bodies over the limit however they are sent, compressed
// bombs, lines without end, lying lengths — each followed by a normal request that must succeed.
#include <zlib.h>

#include "../support/raw_http.hpp"
#include "server_process.hpp"

namespace detserve::test {
namespace {

constexpr long long kMiB = 1 << 20;
constexpr long long kMaxBody = 32 * kMiB;  // the default max_body_bytes

// A gzip stream that inflates to `bytes` zeros (about 1/1000 of that compressed).
std::string make_gzip_of_zeros(long long bytes) {
    z_stream z{};
    deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
    const std::string zeros(kMiB, '\0');
    std::string out;
    char buffer[65536];
    for (long long left = bytes; left >= 0; left -= kMiB) {
        const bool last = left <= kMiB;
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
        z.avail_in = static_cast<uInt>(last ? left : kMiB);
        do {
            z.next_out = reinterpret_cast<Bytef*>(buffer);
            z.avail_out = sizeof buffer;
            deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
            out.append(buffer, sizeof buffer - z.avail_out);
        } while (z.avail_out == 0);
        if (last) break;
    }
    deflateEnd(&z);
    return out;
}

// 400 MB of zeros, gzipped once for every test that sends it.
const std::string& gzip_bomb() {
    static const std::string bomb = make_gzip_of_zeros(400 * kMiB);
    return bomb;
}

// POSTs the bomb to /v1/detect as a gzip-encoded image; the server's answer.
std::string post_gzip_bomb(int port) {
    const std::string& bomb = gzip_bomb();
    RawConnection connection(port);
    connection.send("POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Encoding: gzip\r\n"
                    "Content-Length: " + std::to_string(bomb.size()) + "\r\n\r\n");
    connection.send(bomb, std::chrono::seconds(5));
    return connection.read_response();
}

class HttpFraming : public SharedServerTest<HttpFraming> {
protected:
    void expect_still_serving() {
        auto health = client().Get("/healthz");
        ASSERT_TRUE(health) << "the server stopped answering; its log:\n" << server_->log();
        EXPECT_EQ(health->status, 200);
        const auto dog = photo_bytes("dog.jpg");
        auto detect = client().Post("/v1/detect", dog, "image/jpeg");
        ASSERT_TRUE(detect);
        EXPECT_EQ(detect->status, 200) << detect->body;
        EXPECT_TRUE(has_label(json_of(detect), "dog")) << detect->body;
    }
    // detserve_http_received_bytes_total: every byte the server has read from its connections.
    long long bytes_read_by_server() {
        auto metrics = client().Get("/metrics");
        if (!metrics) return -1;
        std::smatch match;
        if (!std::regex_search(metrics->body, match, std::regex("\\ndetserve_http_received_bytes_total ([0-9.e+]+)")))
            return -1;
        return static_cast<long long>(std::stod(match[1]));
    }
    long long rss_kb() const { return server_->proc_field("status", "VmRSS"); }
};

TEST_F(HttpFraming, ChunkedBodyOverTheLimitIs413AfterAtMostTheLimitPlusOneMiB) {
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.connected());
    const long long read_before = bytes_read_by_server();
    ASSERT_TRUE(connection.send("POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
    long long sent = 0;
    while (sent < 300 * kMiB && connection.send(chunk, std::chrono::seconds(5))) sent += 0x10000;
    const std::string answer = connection.read_response();
    EXPECT_EQ(status_of(answer), 413) << answer;
    EXPECT_NE(body_of(answer).find("body_too_large"), std::string::npos) << answer;
    EXPECT_LT(sent, 300 * kMiB) << "the server read the whole 300 MB chunked body";
    ASSERT_GE(read_before, 0);
    // Includes what it drains after the answer so that the client reads the 413, not a reset.
    const long long read = bytes_read_by_server() - read_before;
    EXPECT_GE(read, kMaxBody) << "the body was not read up to the limit";
    EXPECT_LE(read, kMaxBody + kMiB) << "bytes the server read for a body over max_body_bytes";
    RecordProperty("bytes_read_by_server", std::to_string(read));
    expect_still_serving();
}

TEST_F(HttpFraming, DeclaredLengthOverTheLimitIs413BeforeTheBodyThenClose) {
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.send("POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                                "Content-Length: 200000000\r\n\r\n"));
    const std::string answer = connection.read_response();  // not a byte of the body was sent
    EXPECT_EQ(status_of(answer), 413) << answer;
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
    EXPECT_NE(body_of(answer).find("200000000"), std::string::npos) << answer;
    EXPECT_TRUE(connection.closed_by_peer());
    expect_still_serving();
}

TEST_F(HttpFraming, GzipBombIs415WithoutInflating) {
    const long long rss_before = rss_kb();
    const std::string answer = post_gzip_bomb(server_->port());
    EXPECT_EQ(status_of(answer), 415) << answer;
    EXPECT_NE(body_of(answer).find("unsupported_content_encoding"), std::string::npos) << answer;
    EXPECT_LT(rss_kb() - rss_before, 100 * 1024) << "RSS grew by a gzip bomb";
    expect_still_serving();
}

TEST_F(HttpFraming, DifferingDuplicateContentLengthIs400) {
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.send("POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                                "Content-Length: 5\r\nContent-Length: 50\r\n\r\nhello"));
    const std::string answer = connection.read_response();
    EXPECT_EQ(status_of(answer), 400) << answer;
    EXPECT_NE(body_of(answer).find("differing Content-Length"), std::string::npos) << answer;
    expect_still_serving();
}

TEST_F(HttpFraming, IdenticalDuplicateContentLengthIsAccepted) {
    const auto dog = photo_bytes("dog.jpg");
    const std::string length = std::to_string(dog.size());
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.send("POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                                length + "\r\nContent-Length: " + length + "\r\n\r\n" + dog));
    const std::string answer = connection.read_response();
    EXPECT_EQ(status_of(answer), 200) << answer;
}

TEST_F(HttpFraming, TransferEncodingWithContentLengthIs400AndUnknownCodingIs501) {
    {
        RawConnection connection(server_->port());
        ASSERT_TRUE(connection.send("POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
        EXPECT_EQ(status_of(connection.read_response()), 400);
    }
    {
        RawConnection connection(server_->port());
        ASSERT_TRUE(connection.send("POST /v1/detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"));
        EXPECT_EQ(status_of(connection.read_response()), 501);
    }
    expect_still_serving();
}

TEST_F(HttpFraming, EndlessRequestLineIs414AndEndlessHeaderLineIs431) {
    const std::string filler(kMiB, 'a');
    {
        RawConnection connection(server_->port());
        ASSERT_TRUE(connection.send("GET /"));
        long long sent = 0;
        while (sent < 300 * kMiB && connection.send(filler, std::chrono::seconds(5))) sent += kMiB;
        EXPECT_LT(sent, 300 * kMiB);
        EXPECT_EQ(status_of(connection.read_response()), 414);
    }
    {
        RawConnection connection(server_->port());
        ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: "));
        long long sent = 0;
        while (sent < 300 * kMiB && connection.send(filler, std::chrono::seconds(5))) sent += kMiB;
        EXPECT_LT(sent, 300 * kMiB);
        const std::string answer = connection.read_response();
        EXPECT_EQ(status_of(answer), 431) << answer;
    }
    expect_still_serving();
}

TEST_F(HttpFraming, KeptAliveConnectionServesSeveralRequestsAndPipelining) {
    RawConnection connection(server_->port());
    const std::string get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_TRUE(connection.send(get + get + get));  // three pipelined requests in one write
    for (int i = 0; i < 3; ++i) EXPECT_EQ(status_of(connection.read_response()), 200) << "answer " << i;
    ASSERT_TRUE(connection.send(get));
    EXPECT_EQ(status_of(connection.read_response()), 200);
}

TEST_F(HttpFraming, BodyOnAGetIsNotReadAsTheNextRequest) {
    RawConnection connection(server_->port());
    const std::string smuggled = "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled));
    EXPECT_EQ(status_of(connection.read_response()), 200);
    // The body was not parsed as a request: no 404 follows, the connection ends instead.
    const std::string rest = connection.read_all();
    EXPECT_EQ(rest.find("404"), std::string::npos) << rest;
}

TEST_F(HttpFraming, AnEmptyMultipartPostIsAnsweredLikeOneWithoutABody) {
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.send("POST /v1/vision/custom/list HTTP/1.1\r\nHost: x\r\n"
                                "Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 0\r\n\r\n"));
    const std::string answer = connection.read_response();
    EXPECT_EQ(status_of(answer), 200) << answer;
    EXPECT_NE(body_of(answer).find("\"success\":true"), std::string::npos) << answer;
}

class HttpCompressedBodies : public SharedServerTest<HttpCompressedBodies> {
public:
    static std::vector<std::string> server_args() { return {"--allow-compressed-bodies", "true"}; }
};

TEST_F(HttpCompressedBodies, GzipBombIs413WhenCompressedBodiesAreAllowed) {
    const long long rss_before = server_->proc_field("status", "VmRSS");
    const std::string answer = post_gzip_bomb(server_->port());
    EXPECT_EQ(status_of(answer), 413) << answer;
    EXPECT_LT(server_->proc_field("status", "VmRSS") - rss_before, 100 * 1024) << "RSS grew by a gzip bomb";
    auto health = client().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

TEST_F(HttpCompressedBodies, GzipImageIsInflatedAndDetected) {
    const auto dog = photo_bytes("dog.jpg");
    uLongf size = compressBound(static_cast<uLong>(dog.size())) + 64;
    std::string gz(size, '\0');
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(dog.data()));
    z.avail_in = static_cast<uInt>(dog.size());
    z.next_out = reinterpret_cast<Bytef*>(gz.data());
    z.avail_out = static_cast<uInt>(gz.size());
    ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    gz.resize(z.total_out);
    deflateEnd(&z);
    httplib::Headers headers{{"Content-Encoding", "gzip"}};
    auto response = client().Post("/v1/detect", headers, gz, "image/jpeg");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200) << response->body;
    EXPECT_TRUE(has_label(json_of(response), "dog")) << response->body;
}

}  // namespace
}  // namespace detserve::test
