#include "detserve/server/process_metrics.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace detserve::server {

namespace {

// Field numbers of /proc/[pid]/stat as proc(5) counts them (1-based; field 2 is "(comm)").
constexpr int kStateField = 3, kUtimeField = 14, kStimeField = 15, kStartTimeField = 22,
              kVsizeField = 23, kRssField = 24;

std::optional<std::string> read_file(const char* path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The fields after "(comm)", from kStateField on. The command name may itself hold spaces and
// parentheses, hence the last ')'.
std::vector<std::string> stat_fields_after_comm(const std::string& stat) {
    const auto comm_end = stat.rfind(')');
    if (comm_end == std::string::npos) return {};
    std::istringstream rest(stat.substr(comm_end + 1));
    return {std::istream_iterator<std::string>(rest), std::istream_iterator<std::string>()};
}

// The system boot time in seconds since the epoch: the "btime" line of /proc/stat.
std::optional<double> boot_time_seconds() {
    std::ifstream in("/proc/stat");
    std::string key;
    double value = 0;
    while (in >> key) {
        if (key == "btime" && in >> value) return value;
        in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    return std::nullopt;
}

double count_open_fds() {
    std::error_code error;
    double count = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
         it.increment(error))
        ++count;
    return count;
}

}  // namespace

std::optional<ProcessStats> read_process_stats() {
    const auto stat = read_file("/proc/self/stat");
    const auto boot_time = boot_time_seconds();
    if (!stat || !boot_time) return std::nullopt;
    const auto fields = stat_fields_after_comm(*stat);
    auto field = [&fields](int number) { return std::stod(fields.at(number - kStateField)); };

    const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page_size = static_cast<double>(sysconf(_SC_PAGESIZE));
    try {
        ProcessStats stats;
        stats.cpu_seconds_total = (field(kUtimeField) + field(kStimeField)) / ticks_per_second;
        stats.start_time_seconds = *boot_time + field(kStartTimeField) / ticks_per_second;
        stats.virtual_memory_bytes = field(kVsizeField);
        stats.resident_memory_bytes = field(kRssField) * page_size;
        stats.open_fds = count_open_fds();
        return stats;
    } catch (const std::exception&) {  // a short or malformed line (at() or stod() threw)
        return std::nullopt;
    }
}

void register_process_metrics(MetricsRegistry& registry) {
    auto& resident = registry.gauge("process_resident_memory_bytes",
                                    "Resident memory size in bytes.");
    auto& virtual_memory = registry.gauge("process_virtual_memory_bytes",
                                          "Virtual memory size in bytes.");
    auto& cpu = registry.counter("process_cpu_seconds_total",
                                 "Total user and system CPU time spent in seconds.");
    auto& start_time = registry.gauge("process_start_time_seconds",
                                      "Start time of the process since unix epoch in seconds.");
    auto& open_fds = registry.gauge("process_open_fds", "Number of open file descriptors.");

    registry.add_collector([&resident, &virtual_memory, &cpu, &start_time, &open_fds] {
        const auto stats = read_process_stats();
        if (!stats) return;
        resident.set(stats->resident_memory_bytes);
        virtual_memory.set(stats->virtual_memory_bytes);
        cpu.advance_to(stats->cpu_seconds_total);
        start_time.set(stats->start_time_seconds);
        open_fds.set(stats->open_fds);
    });
}

}  // namespace detserve::server
