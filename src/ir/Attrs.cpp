// Names of enum attribute values.
#include "ir/Attrs.h"

namespace dnncc {

std::string_view enumName(GeluApprox v) { return v == GeluApprox::tanh ? "tanh" : "none"; }

std::string_view enumName(PadMode v) {
  switch (v) {
  case PadMode::constant:
    return "constant";
  case PadMode::reflect:
    return "reflect";
  case PadMode::edge:
    return "edge";
  }
  return "?";
}

bool parseEnum(std::string_view s, GeluApprox& out) {
  for (GeluApprox v : {GeluApprox::none, GeluApprox::tanh})
    if (enumName(v) == s) {
      out = v;
      return true;
    }
  return false;
}

bool parseEnum(std::string_view s, PadMode& out) {
  for (PadMode v : {PadMode::constant, PadMode::reflect, PadMode::edge})
    if (enumName(v) == s) {
      out = v;
      return true;
    }
  return false;
}

std::string_view enumName(GridSampleMode v) {
  switch (v) {
  case GridSampleMode::linear:
    return "linear";
  case GridSampleMode::nearest:
    return "nearest";
  case GridSampleMode::cubic:
    return "cubic";
  }
  return "?";
}

std::string_view enumName(GridPadding v) {
  switch (v) {
  case GridPadding::zeros:
    return "zeros";
  case GridPadding::border:
    return "border";
  case GridPadding::reflection:
    return "reflection";
  }
  return "?";
}

bool parseEnum(std::string_view s, GridSampleMode& out) {
  for (GridSampleMode v : {GridSampleMode::linear, GridSampleMode::nearest, GridSampleMode::cubic})
    if (enumName(v) == s) {
      out = v;
      return true;
    }
  return false;
}

bool parseEnum(std::string_view s, GridPadding& out) {
  for (GridPadding v : {GridPadding::zeros, GridPadding::border, GridPadding::reflection})
    if (enumName(v) == s) {
      out = v;
      return true;
    }
  return false;
}

} // namespace dnncc
