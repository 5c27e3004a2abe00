// Forked compile jobs (see ForkedJobs.h): one child process per job, the Status back over a pipe
// as a JSON object {message, file, node, op, opset}.
#include "codegen/ForkedJobs.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace dnncc {
namespace {

/// Writes all of `s` to `fd`, retrying short writes and EINTR.
void writeAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t w = ::write(fd, s.data() + done, s.size() - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    done += static_cast<size_t>(w);
  }
}

/// Reads `fd` to its end.
std::string readAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return out;
    out.append(buf, static_cast<size_t>(r));
  }
}

/// The longest message a child reports: with JSON's escapes the report stays under the 64 KiB
/// a pipe buffers, so the child never blocks writing it before the parent reaps it.
constexpr size_t kMaxReportedMessage = 8000;

[[noreturn]] void childMain(int fd, const std::function<Status(size_t)>& job, size_t i) {
  Status s = job(i);
  if (!s.isOk()) {
    const Location& l = s.location();
    std::string message = s.message();
    if (message.size() > kMaxReportedMessage)
      message = message.substr(0, kMaxReportedMessage) + " [...]";
    nlohmann::json j{
        {"message", message}, {"file", l.file}, {"node", l.node}, {"op", l.op}, {"opset", l.opset}};
    writeAll(fd, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  ::close(fd);
  ::_exit(s.isOk() ? 0 : 1);
}

/// The Status a finished child reported: its JSON, or what its wait status says.
Status childStatus(int waitStatus, const std::string& report, const std::string& what) {
  if (WIFSIGNALED(waitStatus))
    return Status::error(fmt::format("internal error: compiling {} crashed ({})", what,
                                     strsignal(WTERMSIG(waitStatus))));
  if (WIFEXITED(waitStatus) && WEXITSTATUS(waitStatus) == 0)
    return Status::ok();
  nlohmann::json j = nlohmann::json::parse(report, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("message"))
    return Status::error(
        fmt::format("internal error: compiling {} failed without a message (exit status {})", what,
                    WIFEXITED(waitStatus) ? WEXITSTATUS(waitStatus) : -1));
  Location l{j.value("file", ""), j.value("node", ""), j.value("op", ""),
             j.value("opset", int64_t{0})};
  return Status::error(j.value("message", ""), l);
}

struct Child {
  size_t index; ///< the job
  int fd;       ///< the read end of the child's report pipe
  std::string report;
};

} // namespace

Status runForked(size_t n, int jobs, const std::function<Status(size_t)>& job,
                 const std::function<std::string(size_t)>& describe) {
  std::vector<Status> results(n);
  std::map<pid_t, Child> running;
  Status spawnError;
  size_t next = 0;
  // Waits for one child to end and records its Status.
  auto reap = [&] {
    int ws = 0;
    pid_t pid = ::waitpid(-1, &ws, 0);
    if (pid < 0 && errno == EINTR)
      return;
    if (pid < 0) { // ECHILD: someone else reaped our children
      for (auto& [p, c] : running) {
        ::close(c.fd);
        results[c.index] = Status::error(
            fmt::format("internal error: lost the process compiling {}", describe(c.index)));
      }
      running.clear();
      return;
    }
    auto it = running.find(pid);
    if (it == running.end())
      return; // not a child we started
    Child& c = it->second;
    c.report = readAll(c.fd);
    ::close(c.fd);
    results[c.index] = childStatus(ws, c.report, describe(c.index));
    running.erase(it);
  };
  while (next < n || !running.empty()) {
    if (next < n && spawnError.isOk() && static_cast<int>(running.size()) < std::max(jobs, 1)) {
      int fds[2];
      if (::pipe(fds) != 0) {
        spawnError = Status::error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
        continue;
      }
      pid_t pid = ::fork();
      if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        spawnError = Status::error(fmt::format("cannot fork: {}", std::strerror(errno)));
        continue;
      }
      if (pid == 0) {
        ::close(fds[0]);
        childMain(fds[1], job, next);
      }
      ::close(fds[1]);
      running.emplace(pid, Child{next, fds[0], {}});
      ++next;
      continue;
    }
    if (!spawnError.isOk() && running.empty())
      break;
    reap();
  }
  if (!spawnError.isOk())
    return spawnError;
  for (Status& s : results)
    if (!s.isOk())
      return s;
  return Status::ok();
}

} // namespace dnncc
