// ONNX Einsum and Det -> IR. Einsum is decomposed exactly into existing ops: repeated labels of one
// operand take the diagonal (Transpose, Reshape, Gather), labels needed nowhere else are summed
// (ReduceSum), and operands are contracted pairwise, left to right, as batched matrix products
// (Transpose, Reshape, MatMul), finished by a Transpose into the output order. Semantics: ONNX
// Einsum-12 (numpy.einsum): explicit "->" output or the implicit one (ellipsis dims, then the
// labels that occur once, alphabetically); ellipsis dims broadcast, right-aligned. Det is the
// Laplace expansion over the matrix elements (element-wise ops), for matrices up to kMaxDet x
// kMaxDet.
#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "frontend/onnx/Converters.h"

namespace dnncc::onnximport {
namespace {

/// Label ids: 'a'..'z' are 0..25, 'A'..'Z' 26..51, ellipsis dim i (left to right in the
/// broadcast ellipsis) is kEllipsis + i.
constexpr int kEllipsis = 64;

/// One operand during the decomposition: its value and the label of each axis.
struct Term {
  Value* v;
  std::vector<int> labels;
};

/// The labels of one term of the equation; "..." is stored as -1.
Expected<std::vector<int>> parseTerm(NodeContext& c, std::string_view s) {
  std::vector<int> labels;
  bool ellipsis = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch >= 'a' && ch <= 'z') {
      labels.push_back(ch - 'a');
    } else if (ch >= 'A' && ch <= 'Z') {
      labels.push_back(26 + ch - 'A');
    } else if (s.substr(i, 3) == "...") {
      if (ellipsis)
        return c.error(fmt::format("equation term '{}' has two ellipses", s));
      ellipsis = true;
      labels.push_back(-1);
      i += 2;
    } else {
      return c.error(fmt::format("equation term '{}' has an invalid character '{}'", s, ch));
    }
  }
  return labels;
}

/// Reorders the axes of `t` into the label order `order` (a permutation of t.labels).
Status permute(NodeContext& c, Term& t, const std::vector<int>& order) {
  IntList perm;
  for (int l : order)
    perm.push_back(std::find(t.labels.begin(), t.labels.end(), l) - t.labels.begin());
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == static_cast<int64_t>(i);
  if (!identity) {
    DNNCC_ASSIGN_OR_RETURN(t.v, c.emit(OpKind::Transpose, {t.v}, TransposeAttrs{perm}));
  }
  t.labels = order;
  return Status::ok();
}

/// Replaces the first label repeated in `t` by its diagonal; false when no label repeats.
Expected<bool> takeDiagonal(NodeContext& c, Term& t) {
  for (size_t p = 0; p < t.labels.size(); ++p) {
    auto q = std::find(t.labels.begin() + p + 1, t.labels.end(), t.labels[p]);
    if (q == t.labels.end())
      continue;
    int label = t.labels[p];
    int64_t n = t.v->type.shape[p];
    if (t.v->type.shape[q - t.labels.begin()] != n)
      return c.error(fmt::format("a repeated label has extents {} and {}", n,
                                 t.v->type.shape[q - t.labels.begin()]));
    std::vector<int> order;
    for (size_t i = 0; i < t.labels.size(); ++i)
      if (i != p && t.labels.begin() + i != q)
        order.push_back(t.labels[i]);
    // Move the pair last: transpose by positions, as the label is ambiguous.
    IntList perm;
    for (size_t i = 0; i < t.labels.size(); ++i)
      if (i != p && t.labels.begin() + i != q)
        perm.push_back(static_cast<int64_t>(i));
    perm.push_back(static_cast<int64_t>(p));
    perm.push_back(q - t.labels.begin());
    DNNCC_ASSIGN_OR_RETURN(Value * x, c.emit(OpKind::Transpose, {t.v}, TransposeAttrs{perm}));
    std::vector<int64_t> shape(x->type.shape.begin(), x->type.shape.end() - 2);
    shape.push_back(n * n);
    DNNCC_ASSIGN_OR_RETURN(x, reshapeTo(c, x, shape));
    std::vector<int64_t> idx(n);
    for (int64_t i = 0; i < n; ++i)
      idx[i] = i * (n + 1);
    std::vector<uint8_t> bytes(idx.size() * 8);
    std::memcpy(bytes.data(), idx.data(), bytes.size());
    Value* indices = c.constant(TensorType{DType::i64, {n}}, std::move(bytes));
    DNNCC_ASSIGN_OR_RETURN(t.v, c.emit(OpKind::Gather, {x, indices},
                                       AxisAttrs{static_cast<int64_t>(shape.size() - 1)}));
    order.push_back(label);
    t.labels = order;
    return true;
  }
  return false;
}

/// Sums the axes of `t` whose labels are not in `keep`.
Status sumOut(NodeContext& c, Term& t, const std::vector<bool>& keep) {
  IntList axes;
  std::vector<int> rest;
  for (size_t i = 0; i < t.labels.size(); ++i) {
    if (keep[t.labels[i]])
      rest.push_back(t.labels[i]);
    else
      axes.push_back(static_cast<int64_t>(i));
  }
  if (axes.empty())
    return Status::ok();
  DNNCC_ASSIGN_OR_RETURN(t.v, c.emit(OpKind::ReduceSum, {t.v}, ReduceAttrs{axes, false}));
  t.labels = rest;
  return Status::ok();
}

int64_t extentOf(const Term& t, int label) {
  auto it = std::find(t.labels.begin(), t.labels.end(), label);
  return it == t.labels.end() ? 1 : t.v->type.shape[it - t.labels.begin()];
}

/// Contracts `a` and `b` into one term: labels of both that `needed` marks stay as (broadcast)
/// batch axes, the other shared labels are summed, by one batched MatMul.
Expected<Term> contract(NodeContext& c, Term a, Term b, const std::vector<bool>& needed) {
  std::vector<int> batch, aOnly, bOnly, summed;
  for (int l : a.labels) {
    bool inB = std::count(b.labels.begin(), b.labels.end(), l) > 0;
    (inB ? (needed[l] ? batch : summed) : aOnly).push_back(l);
  }
  for (int l : b.labels)
    if (std::count(a.labels.begin(), a.labels.end(), l) == 0)
      bOnly.push_back(l);
  // A summed label of extent 1 in one operand broadcasts: expand it to the other's extent.
  for (Term* t : {&a, &b}) {
    std::vector<int64_t> shape = t->v->type.shape;
    for (int l : summed) {
      size_t i = std::find(t->labels.begin(), t->labels.end(), l) - t->labels.begin();
      shape[i] = std::max(extentOf(a, l), extentOf(b, l));
    }
    if (shape != t->v->type.shape) {
      TensorType et{t->v->type.dtype, shape};
      DNNCC_ASSIGN_OR_RETURN(t->v, c.emit(OpKind::Expand, {t->v}, NoAttrs{}, &et));
    }
  }
  auto cat = [](std::vector<int> x, const std::vector<int>& y) {
    x.insert(x.end(), y.begin(), y.end());
    return x;
  };
  DNNCC_TRY(permute(c, a, cat(cat(batch, aOnly), summed)));
  DNNCC_TRY(permute(c, b, cat(cat(batch, summed), bOnly)));
  int64_t m = 1, k = 1, n = 1;
  std::vector<int64_t> aShape, bShape, outShape;
  for (int l : batch) {
    aShape.push_back(extentOf(a, l));
    bShape.push_back(extentOf(b, l));
    outShape.push_back(std::max(extentOf(a, l), extentOf(b, l)));
  }
  for (int l : aOnly) {
    m *= extentOf(a, l);
    outShape.push_back(extentOf(a, l));
  }
  for (int l : bOnly) {
    n *= extentOf(b, l);
    outShape.push_back(extentOf(b, l));
  }
  for (int l : summed)
    k *= extentOf(a, l);
  aShape.push_back(m);
  aShape.push_back(k);
  bShape.push_back(k);
  bShape.push_back(n);
  DNNCC_ASSIGN_OR_RETURN(Value * av, reshapeTo(c, a.v, aShape));
  DNNCC_ASSIGN_OR_RETURN(Value * bv, reshapeTo(c, b.v, bShape));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::MatMul, {av, bv}));
  DNNCC_ASSIGN_OR_RETURN(y, reshapeTo(c, y, outShape));
  return Term{y, cat(cat(batch, aOnly), bOnly)};
}

/// Einsum-12: inputs combined by `equation`.
Status einsum(NodeContext& c) {
  std::string eq;
  for (char ch : c.attrString("equation"))
    if (ch != ' ')
      eq += ch;
  if (eq.empty())
    return c.error("attribute 'equation' is required");
  size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow);
  std::vector<std::vector<int>> inLabels;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    DNNCC_ASSIGN_OR_RETURN(auto labels, parseTerm(c, lhs.substr(start, comma - start)));
    inLabels.push_back(std::move(labels));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if (static_cast<int>(inLabels.size()) != c.numInputs())
    return c.error(fmt::format("the equation has {} operands, the node {} inputs", inLabels.size(),
                               c.numInputs()));
  // Expand the ellipses into broadcast, right-aligned labels.
  std::vector<Term> terms;
  int ellipsisRank = 0;
  for (size_t i = 0; i < inLabels.size(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(static_cast<int>(i)));
    int named = static_cast<int>(
        std::count_if(inLabels[i].begin(), inLabels[i].end(), [](int l) { return l >= 0; }));
    bool hasEllipsis = named != static_cast<int>(inLabels[i].size());
    if (hasEllipsis ? x->type.rank() < named : x->type.rank() != named)
      return c.error(
          fmt::format("operand {} of rank {} does not match its equation term", i, x->type.rank()));
    if (hasEllipsis)
      ellipsisRank = std::max(ellipsisRank, x->type.rank() - named);
    terms.push_back(Term{x, {}});
  }
  std::vector<int64_t> extent(kEllipsis + ellipsisRank, 0);
  for (size_t i = 0; i < terms.size(); ++i) {
    Term& t = terms[i];
    int k =
        t.v->type.rank() - static_cast<int>(std::count_if(inLabels[i].begin(), inLabels[i].end(),
                                                          [](int l) { return l >= 0; }));
    for (int l : inLabels[i]) {
      if (l >= 0) {
        t.labels.push_back(l);
        continue;
      }
      for (int j = 0; j < k; ++j)
        t.labels.push_back(kEllipsis + ellipsisRank - k + j);
    }
    for (size_t a = 0; a < t.labels.size(); ++a) {
      int64_t d = t.v->type.shape[a];
      int64_t& e = extent[t.labels[a]];
      bool broadcast = t.labels[a] >= kEllipsis && (d == 1 || e == 1);
      if (e != 0 && e != d && !broadcast)
        return c.error(fmt::format("label extents {} and {} differ", e, d));
      e = std::max(e, d);
    }
  }
  // The output labels.
  std::vector<int> out;
  if (arrow != std::string::npos) {
    DNNCC_ASSIGN_OR_RETURN(auto labels, parseTerm(c, eq.substr(arrow + 2)));
    for (int l : labels) {
      if (l < 0) {
        for (int j = 0; j < ellipsisRank; ++j)
          out.push_back(kEllipsis + j);
      } else {
        if (extent[l] == 0)
          return c.error("an output label does not occur in the inputs");
        if (std::count(out.begin(), out.end(), l))
          return c.error("an output label is repeated");
        out.push_back(l);
      }
    }
  } else {
    for (int j = 0; j < ellipsisRank; ++j)
      out.push_back(kEllipsis + j);
    std::map<int, int> count;
    for (const auto& labels : inLabels)
      for (int l : labels)
        if (l >= 0)
          ++count[l];
    std::vector<int> once;
    for (auto [l, n] : count)
      if (n == 1)
        once.push_back(l);
    // Alphabetical order of the characters: 'A'..'Z' (ids 26..51) sort before 'a'..'z'.
    std::stable_sort(once.begin(), once.end(), [](int x, int y) {
      return (x >= 26 ? x - 26 : x + 26) < (y >= 26 ? y - 26 : y + 26);
    });
    out.insert(out.end(), once.begin(), once.end());
  }
  std::vector<bool> inOut(extent.size(), false);
  for (int l : out)
    inOut[l] = true;
  // Labels used by the terms from `from` on, or by the output.
  auto neededFrom = [&](size_t from) {
    std::vector<bool> n = inOut;
    for (size_t i = from; i < terms.size(); ++i)
      for (int l : terms[i].labels)
        n[l] = true;
    return n;
  };
  for (size_t i = 0; i < terms.size(); ++i) {
    for (;;) {
      DNNCC_ASSIGN_OR_RETURN(bool taken, takeDiagonal(c, terms[i]));
      if (!taken)
        break;
    }
    std::vector<bool> keep = inOut;
    for (size_t j = 0; j < terms.size(); ++j)
      if (j != i)
        for (int l : terms[j].labels)
          keep[l] = true;
    DNNCC_TRY(sumOut(c, terms[i], keep));
  }
  Term acc = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) {
    DNNCC_ASSIGN_OR_RETURN(acc, contract(c, acc, terms[i], neededFrom(i + 1)));
    DNNCC_TRY(sumOut(c, acc, neededFrom(i + 1)));
  }
  DNNCC_TRY(sumOut(c, acc, inOut));
  DNNCC_TRY(permute(c, acc, out));
  return c.setOutput(0, acc.v);
}

/// The largest matrix Det expands (the expansion has 2^M partial determinants, M 2^(M-1) products).
constexpr int64_t kMaxDet = 6;

/// Det-11: x [..., M, M] -> [...], det = sum_j (-1)^j x[0, j] det(minor(0, j)), the minors'
/// determinants shared across terms (one per set of remaining columns).
Status det(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * x, c.input(0));
  const TensorType& t = x->type;
  if (!isFloat(t.dtype))
    return c.error(fmt::format("x of type {} is not a float type", dtypeName(t.dtype)));
  if (t.rank() < 2 || t.shape[t.rank() - 1] != t.shape[t.rank() - 2])
    return c.error(fmt::format("x {} is not [..., M, M]", shapeString(t.shape)));
  int64_t m = t.shape.back();
  if (m < 1 || m > kMaxDet)
    return c.error(fmt::format("matrices of size {} are not supported (1 to {})", m, kMaxDet));
  std::vector<int64_t> flat(t.shape.begin(), t.shape.end() - 2);
  int64_t batchRank = static_cast<int64_t>(flat.size());
  flat.push_back(m * m);
  DNNCC_ASSIGN_OR_RETURN(Value * xf, reshapeTo(c, x, flat));
  std::vector<Value*> e(m * m);
  for (int64_t i = 0; i < m * m; ++i) {
    std::vector<uint8_t> bytes(8);
    std::memcpy(bytes.data(), &i, 8);
    Value* idx = c.constant(TensorType{DType::i64, {}}, std::move(bytes));
    DNNCC_ASSIGN_OR_RETURN(e[i], c.emit(OpKind::Gather, {xf, idx}, AxisAttrs{batchRank}));
  }
  // d[mask]: determinant of rows M - popcount(mask) .. M - 1 and the columns in mask.
  std::vector<Value*> d(size_t{1} << m, nullptr);
  for (uint32_t mask = 1; mask < d.size(); ++mask) {
    int64_t row = m - __builtin_popcount(mask);
    Value* acc = nullptr;
    int sign = 0;
    for (int64_t j = 0; j < m; ++j) {
      if (!(mask >> j & 1))
        continue;
      Value* term = e[row * m + j];
      uint32_t rest = mask & ~(1u << j);
      if (rest) {
        DNNCC_ASSIGN_OR_RETURN(term, c.emit(OpKind::Mul, {term, d[rest]}));
      }
      if (!acc) {
        acc = term;
      } else {
        DNNCC_ASSIGN_OR_RETURN(acc, c.emit(sign % 2 ? OpKind::Sub : OpKind::Add, {acc, term}));
      }
      ++sign;
    }
    d[mask] = acc;
  }
  return c.setOutput(0, d.back());
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"Einsum", 12, kMax, einsum},
    {"Det", 11, kMax, det},
};
} // namespace

std::span<const ConverterRow> einsumConverters() {
  return kRows;
}

} // namespace dnncc::onnximport
