#include "lmkit/text/pretokenizer.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lmkit/util/error.hpp"

namespace lmkit::text {

namespace {

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

// Match data and a JIT stack for one thread. Match data is per thread by PCRE2's rules; the JIT stack
// grows from PCRE2's 32 KiB default to 8 MiB, enough for patterns that backtrack over long runs.
struct ThreadMatchState {
  pcre2_match_data* match_data = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* stack = nullptr;
  ThreadMatchState() {
    match_data = pcre2_match_data_create(4, nullptr);
    context = pcre2_match_context_create(nullptr);
    stack = pcre2_jit_stack_create(std::size_t{32} << 10, std::size_t{8} << 20, nullptr);
    if (!match_data || !context || !stack) fail("out of memory for PCRE2 match state");
    pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~ThreadMatchState() {
    pcre2_jit_stack_free(stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(match_data);
  }
};

ThreadMatchState& thread_match_state() {
  thread_local ThreadMatchState state;
  return state;
}

// PCRE2's \s (with UCP) also matches U+180E, which left Unicode's White_Space in Unicode 6.3; GPT-2's
// Python `regex` (and Hugging Face's Oniguruma) follow White_Space. So \s and \S become the property.
std::string with_white_space_property(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '\\' || i + 1 == pattern.size()) {
      out += pattern[i];
      continue;
    }
    const char next = pattern[++i];
    if (next == 's') {
      out += "\\p{White_Space}";
    } else if (next == 'S') {
      out += "\\P{White_Space}";
    } else {
      out += '\\';
      out += next;
    }
  }
  return out;
}

}  // namespace

struct Pretokenizer::Compiled {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Compiled() { pcre2_code_free(code); }
};

Pretokenizer::Pretokenizer(std::string pattern)
    : pattern_(std::move(pattern)), compiled_(std::make_unique<Compiled>()) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  const std::string compiled_pattern = with_white_space_property(pattern_);
  compiled_->code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(compiled_pattern.data()), compiled_pattern.size(),
                    PCRE2_UTF | PCRE2_UCP, &error_code, &error_offset, nullptr);
  if (!compiled_->code)
    fail("pre-tokenizer pattern {:?}: {} at offset {}", pattern_, pcre2_message(error_code), error_offset);
  // JIT is an optimisation: a PCRE2 built without it still matches, just slower.
  compiled_->jit = pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE) == 0;
}

Pretokenizer::~Pretokenizer() = default;

void Pretokenizer::split(std::string_view text, std::vector<std::string_view>& pieces) const {
  auto& state = thread_match_state();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const std::size_t n = text.size();
  std::size_t start = 0;
  while (start < n) {
    // The caller validated the UTF-8, so PCRE2 need not check it again on every call. Empty
    // matches split nothing, so they are not asked for.
    constexpr std::uint32_t options = PCRE2_NO_UTF_CHECK | PCRE2_NOTEMPTY;
    int rc =
        compiled_->jit
            ? pcre2_jit_match(compiled_->code, subject, n, start, options, state.match_data, state.context)
            : pcre2_match(compiled_->code, subject, n, start, options, state.match_data, state.context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) fail("pre-tokenizer pattern {:?}: matching failed: {}", pattern_, pcre2_message(rc));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.match_data);
    if (ovector[0] > start) pieces.push_back(text.substr(start, ovector[0] - start));
    pieces.push_back(text.substr(ovector[0], ovector[1] - ovector[0]));
    start = ovector[1];
  }
  if (start < n) pieces.push_back(text.substr(start));
}

}  // namespace lmkit::text
