// The largest models lmkit reads from a config.json (docs/models.md): every size field is read with
// these bounds, and the parameter count is computed in checked arithmetic against them, before the
// weights file is compared and anything is allocated. They are far above any published model of each
// kind and far below what would wrap a 64-bit size.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lmkit::nn {

inline constexpr std::uint64_t max_model_layers = 1024;          // per stack
inline constexpr std::uint64_t max_model_width = 65536;          // n_embd / d_model / hidden_size, and heads
inline constexpr std::uint64_t max_model_ffn_width = 262144;     // the MLP's hidden width
inline constexpr std::uint64_t max_model_positions = 1u << 20;   // n_positions / max_position_embeddings
inline constexpr std::uint64_t max_model_vocab_size = 1u << 31;  // token ids are int32
inline constexpr std::uint64_t max_model_parameters = 1ull << 34;  // 64 GiB of fp32 values

// Size arithmetic that cannot wrap: a result past 2^64 - 1 stays there, so it fails every limit.
constexpr std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? UINT64_MAX : sum;
}
constexpr std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? UINT64_MAX : product;
}

}  // namespace lmkit::nn
