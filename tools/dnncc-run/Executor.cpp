// Native and emulated executors (see Executor.h).
#include "Executor.h"

#include "ModelLibrary.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace dnncc::run {
namespace {

std::vector<TensorDesc> describeTensors(int64_t count,
                                        const dnncc_tensor_info* (*info)(int64_t index),
                                        const char* kind) {
  std::vector<TensorDesc> out;
  for (int64_t i = 0; i < count; ++i) {
    const dnncc_tensor_info* t = info(i);
    if (!t || t->rank < 0 || t->rank > 8)
      throw UserError(kind, fmt::format("the library has no valid descriptor of {} {}", kind, i));
    out.push_back({t->name ? t->name : "", static_cast<int>(t->dtype),
                   std::vector<int64_t>(t->shape, t->shape + t->rank), t->size_bytes});
  }
  return out;
}

/// Bytes of output `d` in `shape` (its run's shape; equal to d.shape except for data-dependent
/// outputs, whose extent on one axis may be smaller).
int64_t bytesOf(const TensorDesc& d, const std::vector<int64_t>& shape) {
  int64_t full = 1, now = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    full *= d.shape[i];
    now *= shape[i];
  }
  return full == 0 ? 0 : d.sizeBytes / full * now;
}

/// Runs the library in this process.
class NativeExecutor : public Executor {
public:
  NativeExecutor(const std::string& library, const std::string& prefix)
      : library_(library), lib_(library, prefix) {
    const ModelApi& api = lib_.api();
    inputs_ = describeTensors(api.num_inputs(), api.input_info, "input");
    outputs_ = describeTensors(api.num_outputs(), api.output_info, "output");
  }
  const std::vector<TensorDesc>& inputs() const override { return inputs_; }
  const std::vector<TensorDesc>& outputs() const override { return outputs_; }

  RunResult run(const std::vector<HostTensor>& in, int threads, int bench, int profiled) override {
    const ModelApi& api = lib_.api();
    dnncc_model* model = nullptr;
    if (api.create(&model) != DNNCC_OK)
      throw UserError(library_, api.last_error(nullptr));
    struct Destroy {
      const ModelApi& api;
      dnncc_model* m;
      ~Destroy() { api.destroy(m); }
    } destroy{api, model};
    // The runtime's messages start with the failing function ("run: kernel failed ...").
    auto check = [&](int status) {
      if (status != DNNCC_OK)
        throw UserError(library_, api.last_error(model));
    };
    if (threads != kThreadsUnset)
      check(api.set_num_threads(model, threads));
    for (size_t i = 0; i < in.size(); ++i)
      check(api.set_input(model, int64_t(i), in[i].bytes.data(), in[i].bytes.size()));
    check(api.run(model));
    RunResult r;
    if (const char* device = api.device(model))
      r.device = device;
    check(api.copy_counts(model, &r.copiesToDevice, &r.copiesToHost));
    for (size_t i = 0; i < outputs_.size(); ++i) {
      const TensorDesc& d = outputs_[i];
      // The run's shape: a data-dependent output's extent is the run's (at most d.shape's).
      std::vector<int64_t> shape(d.shape.size());
      check(api.output_shape(model, int64_t(i), shape.data()));
      HostTensor t{d.name, d.dtype, shape, std::vector<uint8_t>(size_t(bytesOf(d, shape)))};
      check(api.get_output(model, int64_t(i), t.bytes.data(), t.bytes.size()));
      r.outputs.push_back(std::move(t));
    }
    // One run, timed by the wall clock, in milliseconds.
    auto timedRun = [&] {
      auto start = std::chrono::steady_clock::now();
      int status = api.run(model);
      auto stop = std::chrono::steady_clock::now();
      check(status);
      return std::chrono::duration<double, std::milli>(stop - start).count();
    };
    if (bench > 0) {
      for (int i = 0; i < 2; ++i)
        check(api.run(model));
      for (int i = 0; i < bench; ++i)
        r.benchMs.push_back(timedRun());
    }
    if (profiled > 0) {
      for (int64_t k = 0, n = api.num_kernels(); k < n; ++k) {
        const dnncc_kernel_info* info = api.kernel_info(k);
        if (!info)
          throw UserError(library_, fmt::format("the library has no descriptor of kernel {}", k));
        r.kernels.push_back({info->name ? info->name : "", info->ops ? info->ops : "",
                             info->nodes ? info->nodes : "", info->flops, info->bytes});
      }
      check(api.set_profiling(model, 1));
      check(api.run(model)); // a warm-up, as for --bench
      for (int i = 0; i < profiled; ++i) {
        r.profiledRunMs.push_back(timedRun());
        KernelTimes t{std::vector<int64_t>(r.kernels.size()),
                      std::vector<int64_t>(r.kernels.size())};
        check(api.kernel_times(model, t.startNs.data(), t.durationNs.data()));
        r.profile.push_back(std::move(t));
      }
      check(api.set_profiling(model, 0));
    }
    return r;
  }

private:
  std::string library_;
  ModelLibrary lib_;
  std::vector<TensorDesc> inputs_, outputs_;
};

/// ELF e_machine of a file (0 when it is not ELF).
int elfMachine(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  unsigned char h[20] = {};
  f.read(reinterpret_cast<char*>(h), sizeof h);
  if (!f || h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F')
    return 0;
  return h[18] | (h[19] << 8); // little-endian targets only
}

struct Emulation {
  const char* arch;    ///< dnncc's name of the architecture
  const char* qemu;    ///< qemu-user program
  const char* sysroot; ///< Debian's cross libc directory, for qemu -L
};

/// The emulation for an ELF machine, or null for this machine's own architecture.
const Emulation* emulationFor(int machine) {
  static const Emulation aarch64{"aarch64", "qemu-aarch64", "/usr/aarch64-linux-gnu"};
  static const Emulation arm{"arm", "qemu-arm", "/usr/arm-linux-gnueabihf"};
  constexpr int kEmAarch64 = 183, kEmArm = 40;
#if defined(__aarch64__)
  return machine == kEmArm ? &arm : nullptr;
#elif defined(__arm__)
  return machine == kEmAarch64 ? &aarch64 : nullptr;
#else
  return machine == kEmAarch64 ? &aarch64 : machine == kEmArm ? &arm : nullptr;
#endif
}

/// Runs a command, capturing stdout; stderr passes through unless it is a dnncc-exec error line,
/// which becomes the UserError.
std::string runCommand(const std::vector<std::string>& argv, const std::string& errFile) {
  std::string cmd;
  for (const std::string& a : argv) {
    cmd += "'";
    for (char c : a)
      cmd += c == '\'' ? std::string("'\\''") : std::string(1, c);
    cmd += "' ";
  }
  cmd += "2>'" + errFile + "'";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p)
    throw UserError(argv[0], "cannot start");
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;)
    out.append(buf, n);
  int status = pclose(p);
  if (status != 0) {
    std::ifstream e(errFile);
    std::string line, last;
    while (std::getline(e, line))
      if (!line.empty())
        last = line;
    if (last.rfind("error: ", 0) == 0)
      throw UserError(last.substr(7, last.find(':', 7) - 7), last.substr(last.find(':', 7) + 2));
    throw UserError(argv[0], last.empty() ? fmt::format("failed (status {})", status) : last);
  }
  return out;
}

/// Runs the library under qemu-user with dnncc-exec for its architecture.
class EmulatedExecutor : public Executor {
public:
  EmulatedExecutor(const std::string& library, const std::string& prefix, const Emulation& e,
                   const std::string& toolDir)
      : prefix_(prefix), emulation_(e) {
    library_ = fs::absolute(library).string();
    exec_ = (fs::path(toolDir) / ".." / "lib" / "dnncc" / fmt::format("dnncc-exec-{}", e.arch))
                .string();
    if (!fs::exists(exec_))
      throw UserError(library, fmt::format("an {} library needs {} to run here, which is missing",
                                           e.arch, exec_));
    char tmpl[] = "/tmp/dnncc-run-XXXXXX";
    if (!mkdtemp(tmpl))
      throw UserError("dnncc-run", "cannot create a temporary directory");
    work_ = tmpl;
    std::istringstream lines(command({"describe"}));
    std::string kind;
    while (lines >> kind) {
      TensorDesc d;
      int64_t rank = 0;
      lines >> d.dtype >> d.sizeBytes >> rank;
      d.shape.resize(size_t(rank));
      for (auto& x : d.shape)
        lines >> x;
      lines.get();
      std::getline(lines, d.name);
      (kind == "input" ? inputs_ : outputs_).push_back(d);
    }
  }
  ~EmulatedExecutor() override {
    std::error_code ec;
    fs::remove_all(work_, ec);
  }
  const std::vector<TensorDesc>& inputs() const override { return inputs_; }
  const std::vector<TensorDesc>& outputs() const override { return outputs_; }

  RunResult run(const std::vector<HostTensor>& in, int threads, int bench, int profiled) override {
    std::vector<std::string> args{"run", std::to_string(threads == kThreadsUnset ? -1 : threads),
                                  std::to_string(bench), std::to_string(profiled), work_};
    for (size_t i = 0; i < in.size(); ++i) {
      std::string file = (fs::path(work_) / fmt::format("input_{}.bin", i)).string();
      std::ofstream(file, std::ios::binary)
          .write(reinterpret_cast<const char*>(in[i].bytes.data()), std::streamsize(in[i].bytes.size()));
      args.push_back(file);
    }
    std::istringstream out(command(args));
    RunResult r;
    std::vector<std::vector<int64_t>> shapes;
    for (const TensorDesc& d : outputs_)
      shapes.push_back(d.shape);
    for (std::string line; std::getline(out, line);) {
      std::istringstream words(line);
      std::string word;
      words >> word;
      if (word == "shape") { // shape INDEX D0 D1 ...: a data-dependent output's run shape
        size_t i = 0;
        words >> i;
        if (i < shapes.size())
          for (auto& dim : shapes[i])
            words >> dim;
      } else if (word == "device") {
        words >> r.copiesToDevice >> r.copiesToHost >> std::ws;
        std::getline(words, r.device);
      } else if (word == "bench_ms") {
        for (double ms; words >> ms;)
          r.benchMs.push_back(ms);
      } else if (word == "kernel") { // kernel FLOPS BYTES NAME\tOPS\tNODES
        KernelDesc k;
        words >> k.flops >> k.bytes >> std::ws;
        std::getline(words, k.name, '\t');
        std::getline(words, k.ops, '\t');
        std::getline(words, k.nodes);
        r.kernels.push_back(std::move(k));
      } else if (word == "profile") { // profile RUN_MS START0 NS0 START1 NS1 ...
        double ms = 0;
        words >> ms;
        r.profiledRunMs.push_back(ms);
        KernelTimes t;
        for (int64_t start, ns; words >> start >> ns;) {
          t.startNs.push_back(start);
          t.durationNs.push_back(ns);
        }
        r.profile.push_back(std::move(t));
      }
    }
    for (size_t i = 0; i < outputs_.size(); ++i) {
      const TensorDesc& d = outputs_[i];
      HostTensor t{d.name, d.dtype, shapes[i],
                   std::vector<uint8_t>(size_t(bytesOf(d, shapes[i])))};
      std::ifstream f(fs::path(work_) / fmt::format("output_{}.bin", i), std::ios::binary);
      f.read(reinterpret_cast<char*>(t.bytes.data()), std::streamsize(t.bytes.size()));
      if (!f)
        throw UserError(library_, fmt::format("dnncc-exec wrote no output {}", i));
      r.outputs.push_back(std::move(t));
    }
    return r;
  }

private:
  std::string command(const std::vector<std::string>& args) {
    std::vector<std::string> argv{emulation_.qemu, "-L", emulation_.sysroot, exec_, library_,
                                  prefix_};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv, (fs::path(work_) / "stderr.txt").string());
  }

  std::string library_, prefix_, exec_, work_;
  Emulation emulation_;
  std::vector<TensorDesc> inputs_, outputs_;
};

bool onPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && access((fs::path(dir) / program).c_str(), X_OK) == 0)
      return true;
  return false;
}
} // namespace

std::unique_ptr<Executor> openExecutor(const std::string& library, const std::string& prefix,
                                       const std::string& toolDir) {
  const Emulation* e = emulationFor(elfMachine(library));
  if (!e)
    return std::make_unique<NativeExecutor>(library, prefix);
  if (!onPath(e->qemu))
    throw UserError(library, fmt::format("an {} library needs {} to run on this machine "
                                         "(Debian package qemu-user)",
                                         e->arch, e->qemu));
  return std::make_unique<EmulatedExecutor>(library, prefix, *e, toolDir);
}

} // namespace dnncc::run
