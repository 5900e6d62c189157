// The GPT-like decoder: training forward/backward over (B, T) token batches, and inference over a
// KV cache. Layout follows llm.c: all parameters live in one allocation (and all gradients in another)
// addressed through a table of named tensors whose names and shapes are GPT-2's Hugging Face ones
// ("h.3.attn.c_attn.weight", Conv1D weights stored (in, out)), so checkpoint I/O is a loop over the table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lmkit/nn/gpt_config.hpp"
#include "lmkit/nn/parameters.hpp"
#include "lmkit/util/memory.hpp"

namespace lmkit::nn {

// Pointers to one block's tensors inside an allocation (parameters or gradients).
struct BlockWeights {
  float* ln_1_w;       // (C)
  float* ln_1_b;       // (C), null for RMSNorm
  float* c_attn_w;     // (C, 3C)
  float* c_attn_b;     // (3C)
  float* attn_proj_w;  // (C, C)
  float* attn_proj_b;  // (C)
  float* ln_2_w;       // (C)
  float* ln_2_b;       // (C), null for RMSNorm
  float* c_fc_w;       // (C, 4C)
  float* c_fc_b;       // (4C)
  float* mlp_proj_w;   // (4C, C)
  float* mlp_proj_b;   // (C)
};

struct ModelWeights {
  float* wte;  // (V, C)
  float* wpe;  // (n_ctx, C), null for sinusoidal positions
  std::vector<BlockWeights> blocks;
  float* ln_f_w;   // (C)
  float* ln_f_b;   // (C), null for RMSNorm
  float* lm_head;  // (V, C): wte when tied
};

// The working buffers of one inference pass, kept with its cache so that the steps of a generation
// reuse them instead of allocating per token.
struct GptScratch {
  std::vector<float> x, ln, mean, rstd, qkv, atty, proj, fc, fc_act, att, last;
};

// One inference context (what llama.h calls a llama_context beside its llama_model): the keys and
// values of every position run so far (Algorithm 14 with caching) and the scratch of the passes. The
// model is only read by inference, so any number of contexts run on one GptModel at once, from as many
// threads; one context serves one thread at a time.
struct KvCache {
  std::size_t B = 0;
  std::size_t capacity = 0;         // positions it can hold, at most n_ctx
  std::size_t length = 0;           // positions filled
  StreamedFloats keys;              // (n_layer, B, capacity, C)
  StreamedFloats values;            // (n_layer, B, capacity, C)
  std::vector<std::uint8_t> valid;  // (B, capacity): 0 marks a padding position no query attends to
  GptScratch scratch;
};

// Which rows of logits an inference pass writes: the last new position of each row (B, V), for
// generation, or every new position (B, T_new, V), for scoring.
enum class LogitRows { last, all };

// The weights of a GPT model, with its training state beside them: gradients are allocated by the
// first training call (zero_grad, backward, gradients()) and activations by the first training forward,
// so a model loaded for inference holds its parameters only. Training calls (forward, backward) are
// non-const and need the model to themselves; inference (forward_cached, const) only reads it.
class GptModel {
 public:
  explicit GptModel(GptConfig config);

  const GptConfig& config() const { return config_; }
  const std::vector<ParameterSpec>& parameter_specs() const { return specs_; }
  std::span<float> parameters() { return params_; }
  std::span<const float> parameters() const { return params_; }
  std::span<float> gradients();
  std::span<const float> gradients() const { return grads_; }
  // The tensor `name` of the parameter table (throws Error when absent).
  const ParameterSpec& spec(const std::string& name) const;

  // GPT-2's initialization: N(0, 0.02) weights, residual projections scaled by 1/sqrt(2 n_layer),
  // zero biases, unit norm gains. Deterministic for a seed.
  void init_weights(std::uint64_t seed);

  // Training forward over tokens (B, T). With targets (B, T) (negative = ignored) returns the mean
  // cross-entropy loss; without, returns 0 and only the logits are computed. T ≤ n_ctx.
  float forward(const std::int32_t* tokens, const std::int32_t* targets, std::size_t B, std::size_t T);
  // (B, T, V) logits of the last forward.
  std::span<const float> logits() const { return acts_.logits; }
  void zero_grad();
  // Gradients of the last forward's mean loss, added into gradients(). Needs targets in the forward.
  void backward();

  // Inference: runs new positions tokens (B, T_new) at positions (B, T_new) through the model against
  // `cache`, appending their keys and values; `valid` (B, T_new) marks padding (null: all real).
  // Writes the logits of the last new position of each row into logits (B, V), or with LogitRows::all
  // those of every new position (B, T_new, V). Reads the model only: safe from many threads at once,
  // each with its own cache.
  void forward_cached(KvCache& cache, const std::int32_t* tokens, const std::int32_t* positions,
                      const std::uint8_t* valid, std::size_t T_new, float* logits,
                      LogitRows rows = LogitRows::last) const;
  // A cache for B rows of up to `capacity` positions (0: n_ctx).
  KvCache make_cache(std::size_t B, std::size_t capacity = 0) const;

 private:
  struct Activations {
    std::size_t B = 0, T = 0;
    std::vector<std::int32_t> tokens, targets, positions;  // (B, T)
    std::vector<float> encoded;                            // (B, T, C)
    struct Block {
      std::vector<float> ln_1, ln_1_mean, ln_1_rstd;  // (B, T, C), (B, T), (B, T)
      std::vector<float> qkv;                         // (B, T, 3C)
      std::vector<float> atty;                        // (B, T, C)
      std::vector<float> att;                         // (B, NH, T, T)
      std::vector<float> attn_proj;                   // (B, T, C)
      std::vector<float> residual_2;                  // (B, T, C)
      std::vector<float> ln_2, ln_2_mean, ln_2_rstd;
      std::vector<float> fc, fc_act;  // (B, T, 4C)
      std::vector<float> mlp_proj;    // (B, T, C)
      std::vector<float> residual_3;  // (B, T, C)
    };
    std::vector<Block> blocks;
    std::vector<float> ln_f, ln_f_mean, ln_f_rstd;  // (B, T, C), (B, T), (B, T)
    std::vector<float> logits, probs;               // (B, T, V)
    std::vector<float> losses;                      // (B, T)
    std::size_t n_counted = 0;
  };

  void check_tokens(const std::int32_t* tokens, std::size_t n) const;
  void resize_activations(std::size_t B, std::size_t T);  // checked against the memory limit
  void allocate_activations(std::size_t B, std::size_t T);
  ModelWeights weights_at(float* base) const;
  void ensure_gradients();

  GptConfig config_;
  std::vector<ParameterSpec> specs_;
  StreamedFloats params_;
  StreamedFloats grads_;
  ModelWeights weights_;
  ModelWeights grad_weights_;
  Activations acts_;
  Activations grad_acts_;
  bool have_targets_ = false;
};

}  // namespace lmkit::nn
