// The byte classes of the HTTP grammar as 256-entry tables, inline so that the parsers' loops
// over every byte of a head cost one load per byte (RFC 9110 5.1, 5.5, 5.6.2).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace espd::http1 {
namespace char_class {

enum : uint8_t {
  kToken = 1 << 0,       // tchar: ALPHA, DIGIT, "!#$%&'*+-.^_`|~"
  kFieldValue = 1 << 1,  // field-vchar or SP/HTAB: HTAB, SP, VCHAR, obs-text (not CTLs, DEL)
};

constexpr std::array<uint8_t, 256> make_table() {
  std::array<uint8_t, 256> table{};
  for (int c = '0'; c <= '9'; ++c)
    table[c] |= kToken;
  for (int c = 'a'; c <= 'z'; ++c)
    table[c] |= kToken;
  for (int c = 'A'; c <= 'Z'; ++c)
    table[c] |= kToken;
  for (char c : std::string_view("!#$%&'*+-.^_`|~"))
    table[static_cast<unsigned char>(c)] |= kToken;
  table['\t'] |= kFieldValue;
  for (int c = 0x20; c <= 0xff; ++c) {
    if (c != 0x7f) table[c] |= kFieldValue;
  }
  return table;
}

inline constexpr std::array<uint8_t, 256> kTable = make_table();

constexpr std::array<unsigned char, 256> make_lower() {
  std::array<unsigned char, 256> table{};
  for (int c = 0; c < 256; ++c)
    table[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return table;
}

inline constexpr std::array<unsigned char, 256> kLower = make_lower();

}  // namespace char_class

constexpr bool is_token_char(unsigned char c) {
  return char_class::kTable[c] & char_class::kToken;
}

// Field-value bytes: HTAB, SP, VCHAR, obs-text. Not NUL, CR, LF, other controls, DEL.
constexpr bool is_field_value_char(unsigned char c) {
  return char_class::kTable[c] & char_class::kFieldValue;
}

constexpr unsigned char to_lower_ascii(unsigned char c) {
  return char_class::kLower[c];
}

constexpr bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// Whether every byte of `text` may appear in a field value. Eight bytes at a time: a word with
// no byte below 0x20 and none equal to 0x7f is all field-value bytes; only a word with one of
// those (a horizontal tab, or an invalid byte) is looked at byte by byte. Field values are most
// of a head's bytes.
inline bool is_field_value(std::string_view text) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  const char* p = text.data();
  size_t n = text.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    __builtin_memcpy(&word, p + i, 8);
    uint64_t below_space = (word - 0x20 * kOnes) & ~word & kHighs;  // some byte < 0x20
    uint64_t del = word ^ (0x7f * kOnes);
    uint64_t has_del = (del - kOnes) & ~del & kHighs;  // some byte == 0x7f
    if ((below_space | has_del) == 0) continue;
    for (size_t j = i; j < i + 8; ++j) {
      if (!is_field_value_char(static_cast<unsigned char>(p[j]))) return false;
    }
  }
  for (; i < n; ++i) {
    if (!is_field_value_char(static_cast<unsigned char>(p[i]))) return false;
  }
  return true;
}

constexpr std::string_view trim_ows(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t'))
    ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t'))
    --end;
  return text.substr(begin, end - begin);
}

// ASCII case-insensitive equality (header names, tokens). Inline: most calls are decided by the
// sizes alone.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (to_lower_ascii(static_cast<unsigned char>(a[i])) !=
        to_lower_ascii(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace espd::http1
