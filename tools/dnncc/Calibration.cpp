// Calibration samples for --quantize=int8 (see Calibration.h).
#include "Calibration.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "TensorIO.h"

namespace dnncc {
namespace {
namespace fs = std::filesystem;

std::string typeString(const TensorType& t) {
  return fmt::format("{}{}", dtypeName(t.dtype), shapeString(t.shape));
}

/// `t` read from `path`, which must hold whole samples of `input`: appended to `out` (one entry
/// per sample).
Status takeSamples(const run::HostTensor& t, const std::string& path, const Value& input,
                   std::vector<std::vector<uint8_t>>& out) {
  const TensorType& want = input.type;
  std::optional<DType> dtype = dtypeFromOnnx(t.dtype);
  int64_t per = want.byteSize();
  bool batch = !want.shape.empty() && t.shape.size() == want.shape.size() && want.shape[0] > 0 &&
               t.shape[0] % want.shape[0] == 0 &&
               std::equal(t.shape.begin() + 1, t.shape.end(), want.shape.begin() + 1);
  if (!dtype || *dtype != want.dtype || (t.shape != want.shape && !batch))
    return Status::error(fmt::format("input '{}' expects {} (or a batch of them along axis 0), "
                                     "the file holds {}",
                                     input.name, typeString(want), run::describe(t.dtype, t.shape)),
                         {path});
  if (want.dtype == DType::f32) {
    const float* f = reinterpret_cast<const float*>(t.bytes.data());
    for (size_t i = 0; i < t.bytes.size() / sizeof(float); ++i)
      if (!std::isfinite(f[i]))
        return Status::error(
            fmt::format("element {} is {}: calibration samples must be finite", i, f[i]), {path});
  }
  for (size_t at = 0; at + per <= t.bytes.size(); at += per)
    out.emplace_back(t.bytes.begin() + at, t.bytes.begin() + at + per);
  return Status::ok();
}

run::HostTensor readTensorFile(const fs::path& p) {
  return p.extension() == ".npy" ? run::readNpy(p.string()) : run::readTensorProto(p.string());
}

std::vector<fs::path> sorted(const fs::path& dir, bool directories) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (directories && e.is_directory())
      out.push_back(e.path());
    if (!directories && e.is_regular_file() &&
        (e.path().extension() == ".npy" || e.path().extension() == ".pb"))
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}
} // namespace

Status loadCalibration(const std::string& dir, const Module& m, QuantizeOptions& options) {
  if (!fs::is_directory(dir))
    return Status::error("not a directory (--calibration needs a directory of samples)", {dir});
  auto& samples = options.samples;
  try {
    for (const fs::path& set : sorted(dir, true)) {
      // ONNX test-data layout: input_<i>.pb per input.
      std::vector<std::vector<std::vector<uint8_t>>> perInput(m.inputs.size());
      for (size_t i = 0; i < m.inputs.size(); ++i) {
        fs::path p = set / fmt::format("input_{}.pb", i);
        if (!fs::exists(p))
          return Status::error(fmt::format("no input_{}.pb for input '{}'", i, m.inputs[i]->name),
                               {set.string()});
        run::HostTensor t = run::readTensorProto(p.string());
        const Value* input = m.inputs[i];
        for (const Value* v : m.inputs)
          if (!t.name.empty() && v->name == t.name)
            input = v;
        size_t k = std::find(m.inputs.begin(), m.inputs.end(), input) - m.inputs.begin();
        DNNCC_TRY(takeSamples(t, p.string(), *input, perInput[k]));
      }
      for (size_t s = 0; !perInput.empty() && s < perInput[0].size(); ++s) {
        std::vector<std::vector<uint8_t>> sample;
        for (auto& in : perInput) {
          if (s >= in.size())
            return Status::error("the inputs hold different numbers of samples", {set.string()});
          sample.push_back(std::move(in[s]));
        }
        samples.push_back(std::move(sample));
      }
    }
    std::vector<fs::path> files = sorted(dir, false);
    if (!files.empty() && m.inputs.size() != 1)
      return Status::error(fmt::format("tensor files directly in the directory are samples of a "
                                       "model with one input; this one has {} (use "
                                       "test_data_set_*/input_<i>.pb directories)",
                                       m.inputs.size()),
                           {dir});
    for (const fs::path& p : files) {
      std::vector<std::vector<uint8_t>> one;
      DNNCC_TRY(takeSamples(readTensorFile(p), p.string(), *m.inputs[0], one));
      for (auto& s : one)
        samples.push_back({std::move(s)});
    }
  } catch (const run::UserError& e) {
    return Status::error(e.what());
  }
  if (samples.empty())
    return Status::error("no calibration samples (expected test_data_set_*/input_<i>.pb "
                         "directories or .npy / .pb files)",
                         {dir});
  return Status::ok();
}

} // namespace dnncc
