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

std::string_view enumName(CastRound v) {
  switch (v) {
  case CastRound::up:
    return "up";
  case CastRound::down:
    return "down";
  case CastRound::nearest:
    return "nearest";
  }
  return "?";
}

bool parseEnum(std::string_view s, CastRound& out) {
  for (CastRound v : {CastRound::up, CastRound::down, CastRound::nearest})
    if (enumName(v) == s) {
      out = v;
      return true;
    }
  return false;
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

std::string_view enumName(ScatterReduction v) {
  switch (v) {
  case ScatterReduction::none:
    return "none";
  case ScatterReduction::add:
    return "add";
  case ScatterReduction::mul:
    return "mul";
  case ScatterReduction::max:
    return "max";
  case ScatterReduction::min:
    return "min";
  }
  return "?";
}

bool parseEnum(std::string_view s, ScatterReduction& out) {
  for (ScatterReduction v : {ScatterReduction::none, ScatterReduction::add, ScatterReduction::mul,
                             ScatterReduction::max, ScatterReduction::min})
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
