// The per-kernel profile's table and Chrome trace (see Profile.h).
#include "Profile.h"

#include "TensorIO.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>

namespace dnncc::run {
namespace {

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// "12.3" or "12.3 (45%)" against a peak; "-" when the kernel has no such work.
std::string rate(double achieved, double peak, bool has) {
  if (!has)
    return "-";
  if (peak <= 0)
    return fmt::format("{:.1f}", achieved);
  return fmt::format("{:.1f} ({:.0f}%)", achieved, 100 * achieved / peak);
}

/// Bytes per nanosecond and arithmetic per nanosecond are GB/s and GFLOP/s.
double perNs(int64_t amount, double ns) {
  return ns > 0 ? static_cast<double>(amount) / ns : 0;
}

} // namespace

std::vector<ProfileRow> profileRows(const RunResult& r) {
  double runMs = median(r.profiledRunMs);
  std::vector<ProfileRow> rows;
  for (size_t k = 0; k < r.kernels.size(); ++k) {
    std::vector<double> ms;
    for (const KernelTimes& t : r.profile)
      if (k < t.durationNs.size())
        ms.push_back(static_cast<double>(t.durationNs[k]) / 1e6);
    ProfileRow row;
    row.index = static_cast<int64_t>(k);
    row.kernel = &r.kernels[k];
    row.ms = median(ms);
    row.share = runMs > 0 ? row.ms / runMs : 0;
    row.gflops = perNs(row.kernel->flops, row.ms * 1e6);
    row.gbps = perNs(row.kernel->bytes, row.ms * 1e6);
    rows.push_back(row);
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const ProfileRow& a, const ProfileRow& b) { return a.ms > b.ms; });
  return rows;
}

std::string formatProfile(const RunResult& r, const Peaks& peaks) {
  std::vector<ProfileRow> rows = profileRows(r);
  // Per run: the kernels' total and what the run spent outside them (the medians of the sums,
  // not sums of the medians).
  std::vector<double> kernelTotals, outside;
  for (size_t run = 0; run < r.profile.size(); ++run) {
    double total = 0;
    for (int64_t ns : r.profile[run].durationNs)
      total += static_cast<double>(ns) / 1e6;
    kernelTotals.push_back(total);
    if (run < r.profiledRunMs.size())
      outside.push_back(std::max(0.0, r.profiledRunMs[run] - total));
  }
  double runMs = median(r.profiledRunMs), kernelMs = median(kernelTotals);
  int64_t flops = 0;
  for (const ProfileRow& row : rows)
    flops += row.kernel->flops;
  std::string out = fmt::format(
      "profile: {} kernel calls, median of {} profiled runs: run {:.3f} ms, kernels {:.3f} ms "
      "({:.1f}%), outside kernels {:.3f} ms; {:.3f} GFLOP per run, {:.1f} GFLOP/s{}\n",
      rows.size(), r.profile.size(), runMs, kernelMs, runMs > 0 ? 100 * kernelMs / runMs : 0,
      median(outside), static_cast<double>(flops) / 1e9, perNs(flops, runMs * 1e6),
      peaks.gflops > 0 ? fmt::format(" ({:.0f}% of {:.1f})",
                                     100 * perNs(flops, runMs * 1e6) / peaks.gflops, peaks.gflops)
                       : "");
  out += fmt::format("{:>5} {:>9} {:>6} {:>14} {:>14}  {}\n", "#", "ms", "share", "GFLOP/s", "GB/s",
                     "kernel  ops  [nodes]");
  for (const ProfileRow& row : rows)
    out += fmt::format("{:>5} {:>9.4f} {:>5.1f}% {:>14} {:>14}  {}  {}  [{}]\n", row.index, row.ms,
                       100 * row.share, rate(row.gflops, peaks.gflops, row.kernel->flops > 0),
                       rate(row.gbps, peaks.gbps, row.kernel->bytes > 0), row.kernel->name,
                       row.kernel->ops, row.kernel->nodes);
  // The same op pattern together: where a fusion or a schedule would pay.
  struct Pattern {
    int calls = 0;
    double ms = 0;
  };
  std::map<std::string, Pattern> byOps;
  for (const ProfileRow& row : rows) {
    Pattern& p = byOps[row.kernel->ops];
    ++p.calls;
    p.ms += row.ms;
  }
  std::vector<std::pair<std::string, Pattern>> patterns(byOps.begin(), byOps.end());
  std::stable_sort(patterns.begin(), patterns.end(),
                   [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  out += "by ops:\n";
  for (const auto& [ops, p] : patterns)
    out += fmt::format("{:>9.4f} ms {:>5.1f}% {:>4} calls  {}\n", p.ms,
                       runMs > 0 ? 100 * p.ms / runMs : 0, p.calls, ops);
  return out;
}

void writeChromeTrace(const RunResult& r, const std::string& library, const std::string& path) {
  using nlohmann::json;
  json events = json::array();
  auto threadName = [&](int tid, const char* name) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", 1},
                      {"tid", tid},
                      {"args", {{"name", name}}}});
  };
  events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", library}}}});
  threadName(1, "runs");
  threadName(2, "kernels");
  double originUs = 0;
  for (size_t run = 0; run < r.profile.size(); ++run) {
    const KernelTimes& t = r.profile[run];
    double runUs = run < r.profiledRunMs.size() ? r.profiledRunMs[run] * 1e3 : 0;
    events.push_back({{"name", fmt::format("run {}", run)},
                      {"cat", "run"},
                      {"ph", "X"},
                      {"pid", 1},
                      {"tid", 1},
                      {"ts", originUs},
                      {"dur", runUs}});
    for (size_t k = 0; k < r.kernels.size() && k < t.durationNs.size(); ++k) {
      const KernelDesc& d = r.kernels[k];
      double ns = static_cast<double>(t.durationNs[k]);
      events.push_back({{"name", d.ops},
                        {"cat", "kernel"},
                        {"ph", "X"},
                        {"pid", 1},
                        {"tid", 2},
                        {"ts", originUs + static_cast<double>(t.startNs[k]) / 1e3},
                        {"dur", ns / 1e3},
                        {"args",
                         {{"index", k},
                          {"kernel", d.name},
                          {"nodes", d.nodes},
                          {"flops", d.flops},
                          {"bytes", d.bytes},
                          {"GFLOP/s", perNs(d.flops, ns)},
                          {"GB/s", perNs(d.bytes, ns)}}}});
    }
    // The next run starts after this one (and after its last kernel, should the clocks differ).
    double lastUs = 0;
    for (size_t k = 0; k < t.durationNs.size(); ++k)
      lastUs = std::max(lastUs, static_cast<double>(t.startNs[k] + t.durationNs[k]) / 1e3);
    originUs += std::max(runUs, lastUs);
  }
  json trace = {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
  std::ofstream out(path);
  out << trace.dump(1) << '\n';
  if (!out)
    throw UserError(path, "cannot write the profile trace");
}

} // namespace dnncc::run
