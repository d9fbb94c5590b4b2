// Two TensorFlow CPU kernels for the native backend (docs/native-backend.md, "Fused LayerNorm kernels"):
// relu(LayerNorm(z + b)) over the last axis, without affine (every phi layer, spec/reference.md §1.2) or with
// it (the pixel generator, the hypernetwork's hidden layers), and its gradient, each one pass over rows that
// fit in L1. TF.js composes the same forward from ~9 kernels that each stream the whole [rows, F] tensor
// through memory; with the backward's, that was ~30% of a `paper` step (~240 of ~800 ms).
//
// Built by scripts/setup-native.sh against the headers and libtensorflow_framework of the same PyPI wheel
// the tfjs-node binding links; the ops land in TF's global registry when the library is loaded, so
// tfjs-node runs them by name (lib/backend/native_ops.ts). The file is also a (no-op) N-API module so that
// Node's process.dlopen loads it and keeps it loaded.
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace {

using tensorflow::DEVICE_CPU;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;
using tensorflow::errors::InvalidArgument;
using tensorflow::shape_inference::InferenceContext;

// Splits [0, rows) over TF's intra-op pool; `fn(begin, end, worker)` with worker in [0, NumThreads()].
template <typename Fn>
void ForRows(OpKernelContext* ctx, int64_t rows, int64_t width, Fn fn) {
  auto* pool = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  pool->ParallelForWithWorkerId(rows, /*cost_per_unit=*/10 * width, fn);
}

int NumWorkers(OpKernelContext* ctx) {
  return ctx->device()->tensorflow_cpu_worker_threads()->workers->NumThreads() + 1;
}

// Checks z [..., F] and bias [..., F] holding G rows of F (e.g. [G, F] or [G, 1, F]) with G dividing the
// row count of z; sets rows, F, the group count and rows per group.
struct RowGroups {
  int64_t rows = 0, width = 0, groups = 1, per_group = 1;
};

absl::Status CheckInputs(const Tensor& z, const Tensor& bias, RowGroups* out) {
  if (z.dims() < 1) return InvalidArgument("SrnLayerNormRelu: z must have rank >= 1");
  const int64_t width = z.dim_size(z.dims() - 1);
  const int64_t rows = width == 0 ? 0 : z.NumElements() / width;
  if (bias.dims() < 1 || bias.dim_size(bias.dims() - 1) != width) {
    return InvalidArgument("SrnLayerNormRelu: bias must be [..., ", width, "], got ", bias.shape().DebugString());
  }
  const int64_t groups = width == 0 ? 0 : bias.NumElements() / width;
  if (groups < 1 || rows % groups != 0) {
    return InvalidArgument("SrnLayerNormRelu: ", groups, " bias groups do not divide ", rows, " rows");
  }
  *out = RowGroups{rows, width, groups, rows / groups};
  return absl::OkStatus();
}

// gamma and beta: both [F] (affine) or both empty (no affine: gamma = 1, beta = 0); sets *affine.
absl::Status CheckAffine(const Tensor& gamma, const Tensor& beta, int64_t width, bool* affine) {
  *affine = gamma.NumElements() != 0;
  const int64_t want = *affine ? width : 0;
  if (gamma.NumElements() != want || beta.NumElements() != want) {
    return InvalidArgument("SrnLayerNormRelu: gamma and beta must both have ", width, " values or both be empty, got ",
                           gamma.shape().DebugString(), " and ", beta.shape().DebugString());
  }
  return absl::OkStatus();
}

REGISTER_OP("SrnLayerNormRelu")
    .Input("z: float")
    .Input("bias: float")
    .Input("gamma: float")
    .Input("beta: float")
    .Output("y: float")
    .Output("mean: float")
    .Output("rstd: float")
    .Attr("epsilon: float = 1e-5")
    .SetShapeFn([](InferenceContext* c) {
      c->set_output(0, c->input(0));
      c->set_output(1, c->UnknownShapeOfRank(1));
      c->set_output(2, c->UnknownShapeOfRank(1));
      return absl::OkStatus();
    })
    .Doc("y = relu(gamma * (z + bias[row group] - mean) * rstd + beta), LayerNorm over the last axis with biased "
         "variance; gamma and beta empty for LayerNorm without affine.");

class SrnLayerNormReluOp : public OpKernel {
 public:
  explicit SrnLayerNormReluOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("epsilon", &eps_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& z = ctx->input(0);
    const Tensor& bias = ctx->input(1);
    RowGroups rg;
    OP_REQUIRES_OK(ctx, CheckInputs(z, bias, &rg));
    const int64_t rows = rg.rows, width = rg.width, per_group = rg.per_group;
    bool affine = false;
    OP_REQUIRES_OK(ctx, CheckAffine(ctx->input(2), ctx->input(3), width, &affine));
    const float* gam = ctx->input(2).flat<float>().data();
    const float* bet = ctx->input(3).flat<float>().data();
    Tensor *y = nullptr, *mean = nullptr, *rstd = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, z.shape(), &y));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({rows}), &mean));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, TensorShape({rows}), &rstd));
    const float* zp = z.flat<float>().data();
    const float* bp = bias.flat<float>().data();
    float* yp = y->flat<float>().data();
    float* mp = mean->flat<float>().data();
    float* rp = rstd->flat<float>().data();
    const float eps = eps_;
    ForRows(ctx, rows, width, [&](int64_t begin, int64_t end, int) {
      for (int64_t r = begin; r < end; ++r) {
        const float* zr = zp + r * width;
        const float* br = bp + (r / per_group) * width;
        float* yr = yp + r * width;
        // Two passes over one row (in L1): the mean, then the biased variance of the centred values.
        float s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < width; ++j) s += zr[j] + br[j];
        const float mu = s / width;
        float v = 0;
#pragma omp simd reduction(+ : v)
        for (int64_t j = 0; j < width; ++j) {
          const float d = zr[j] + br[j] - mu;
          v += d * d;
        }
        const float inv = 1.0f / std::sqrt(v / width + eps);
        if (affine) {
#pragma omp simd
          for (int64_t j = 0; j < width; ++j) yr[j] = std::max(0.0f, (zr[j] + br[j] - mu) * inv * gam[j] + bet[j]);
        } else {
#pragma omp simd
          for (int64_t j = 0; j < width; ++j) yr[j] = std::max(0.0f, (zr[j] + br[j] - mu) * inv);
        }
        mp[r] = mu;
        rp[r] = inv;
      }
    });
  }

 private:
  float eps_;
};

REGISTER_KERNEL_BUILDER(Name("SrnLayerNormRelu").Device(DEVICE_CPU), SrnLayerNormReluOp);

// The backward over rows [begin, end) of one worker; kAffine = false skips the γ/β work (φ: γ = 1, β = 0),
// which keeps both loops vectorised.
struct GradRows {
  const float* __restrict dy;
  const float* __restrict z;
  const float* __restrict bias;
  const float* __restrict gamma;
  const float* __restrict beta;
  const float* __restrict mean;
  const float* __restrict rstd;
  float* __restrict dz;
  float* __restrict acc;  // [groups + 2, width]: bias gradient per group, then dgamma, dbeta
  float* __restrict xhat;
  float* __restrict d;
  int64_t width, groups, per_group;

  template <bool kAffine>
  void Run(int64_t begin, int64_t end) const {
    float* __restrict acc_gamma = acc + groups * width;
    float* __restrict acc_beta = acc_gamma + width;
    for (int64_t r = begin; r < end; ++r) {
      const float* __restrict gr = dy + r * width;
      const float* __restrict zr = z + r * width;
      const float* __restrict br = bias + (r / per_group) * width;
      const float mu = mean[r], inv = rstd[r];
      float s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
      for (int64_t j = 0; j < width; ++j) {
        const float xh = (zr[j] + br[j] - mu) * inv;
        float dj;
        if (kAffine) {
          const float gj = xh * gamma[j] + beta[j] > 0 ? gr[j] : 0.0f;
          acc_gamma[j] += gj * xh;
          acc_beta[j] += gj;
          dj = gj * gamma[j];
        } else {
          dj = xh > 0 ? gr[j] : 0.0f;
        }
        xhat[j] = xh;
        d[j] = dj;
        s1 += dj;
        s2 += dj * xh;
      }
      s1 /= width;
      s2 /= width;
      float* __restrict dr = dz + r * width;
      float* __restrict ar = acc + (r / per_group) * width;
#pragma omp simd
      for (int64_t j = 0; j < width; ++j) {
        const float v = inv * (d[j] - s1 - xhat[j] * s2);
        dr[j] = v;
        ar[j] += v;
      }
    }
  }
};

REGISTER_OP("SrnLayerNormReluGrad")
    .Input("dy: float")
    .Input("z: float")
    .Input("bias: float")
    .Input("gamma: float")
    .Input("beta: float")
    .Input("mean: float")
    .Input("rstd: float")
    .Output("dz: float")
    .Output("dbias: float")
    .Output("dgamma: float")
    .Output("dbeta: float")
    .SetShapeFn([](InferenceContext* c) {
      c->set_output(0, c->input(1));
      c->set_output(1, c->input(2));
      c->set_output(2, c->input(3));
      c->set_output(3, c->input(4));
      return absl::OkStatus();
    })
    .Doc("Gradient of SrnLayerNormRelu: with g = dy*(y > 0) and d = g*gamma, dz = rstd*(d - mean(d) - "
         "xhat*mean(d*xhat)); dbias = dz summed over each group's rows; dgamma = sum(g*xhat), dbeta = sum(g). "
         "Empty gamma and beta (no affine) give empty dgamma and dbeta.");

class SrnLayerNormReluGradOp : public OpKernel {
 public:
  explicit SrnLayerNormReluGradOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& dy = ctx->input(0);
    const Tensor& z = ctx->input(1);
    const Tensor& bias = ctx->input(2);
    const Tensor& gamma = ctx->input(3);
    const Tensor& beta = ctx->input(4);
    const Tensor& mean = ctx->input(5);
    const Tensor& rstd = ctx->input(6);
    RowGroups rg;
    OP_REQUIRES_OK(ctx, CheckInputs(z, bias, &rg));
    const int64_t rows = rg.rows, width = rg.width, groups = rg.groups, per_group = rg.per_group;
    bool affine = false;
    OP_REQUIRES_OK(ctx, CheckAffine(gamma, beta, width, &affine));
    OP_REQUIRES(ctx, dy.shape() == z.shape(),
                InvalidArgument("SrnLayerNormReluGrad: dy ", dy.shape().DebugString(), " != z ", z.shape().DebugString()));
    OP_REQUIRES(ctx, mean.NumElements() == rows && rstd.NumElements() == rows,
                InvalidArgument("SrnLayerNormReluGrad: mean and rstd must have ", rows, " values"));
    Tensor *dz = nullptr, *dbias = nullptr, *dgamma = nullptr, *dbeta = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, z.shape(), &dz));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, bias.shape(), &dbias));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, gamma.shape(), &dgamma));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, beta.shape(), &dbeta));
    const int workers = NumWorkers(ctx);
    // Per worker (no atomics), summed below: the bias gradient of every group, then dgamma and dbeta.
    const size_t stride = static_cast<size_t>(groups + 2) * width;
    std::vector<float> partial(static_cast<size_t>(workers) * stride, 0.0f);
    const float* gam = gamma.flat<float>().data();
    const float* bet = beta.flat<float>().data();
    const float* gp = dy.flat<float>().data();
    const float* zp = z.flat<float>().data();
    const float* bp = bias.flat<float>().data();
    const float* mp = mean.flat<float>().data();
    const float* rp = rstd.flat<float>().data();
    float* dp = dz->flat<float>().data();
    ForRows(ctx, rows, width, [&](int64_t begin, int64_t end, int worker) {
      std::vector<float> xhat(width), d(width);
      float* acc = partial.data() + static_cast<size_t>(worker) * stride;
      const GradRows rowsIn{gp, zp, bp, gam, bet, mp, rp, dp, acc, xhat.data(), d.data(), width, groups, per_group};
      if (affine) rowsIn.Run<true>(begin, end);
      else rowsIn.Run<false>(begin, end);
    });
    float* dbp = dbias->flat<float>().data();
    float* dgp = dgamma->flat<float>().data();
    float* dep = dbeta->flat<float>().data();
    const size_t n = static_cast<size_t>(groups) * width;
    std::fill(dbp, dbp + n, 0.0f);
    const int64_t affine_width = affine ? width : 0;  // dgamma, dbeta are empty without affine
    std::fill(dgp, dgp + affine_width, 0.0f);
    std::fill(dep, dep + affine_width, 0.0f);
    for (int w = 0; w < workers; ++w) {
      const float* p = partial.data() + w * stride;
      for (size_t i = 0; i < n; ++i) dbp[i] += p[i];
      for (int64_t j = 0; j < affine_width; ++j) {
        dgp[j] += p[n + j];
        dep[j] += p[n + width + j];
      }
    }
  }
};

REGISTER_KERNEL_BUILDER(Name("SrnLayerNormReluGrad").Device(DEVICE_CPU), SrnLayerNormReluGradOp);

}  // namespace

// The ops register when the library loads; the module itself exports nothing.
NAPI_MODULE_INIT() { return exports; }
