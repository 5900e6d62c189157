// UTF-8 validation. Corpora and tokenizer inputs are checked with this: a document is valid when it
// is well-formed UTF-8 in the sense of the Unicode standard (no overlong forms, no surrogates, nothing
// above U+10FFFF, no truncated sequences).
#pragma once

#include <cstddef>
#include <string_view>

namespace lmkit::text {

// The length (1-4) of the well-formed UTF-8 sequence that starts at text[i], or 0 when the bytes
// there are not one (a stray continuation byte, an overlong form, a surrogate, a truncated sequence).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// The byte offset of the first byte that is not part of a well-formed UTF-8 sequence, or
// text.size() when the whole text is valid.
std::size_t find_invalid_utf8(std::string_view text);

inline bool is_valid_utf8(std::string_view text) { return find_invalid_utf8(text) == text.size(); }

}  // namespace lmkit::text
