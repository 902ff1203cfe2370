// What every fuzz target shares: the input as a string_view, a deterministic generator of split
// points derived from the input, and invariant checks that crash (so libFuzzer reports and keeps
// the input) with a message saying which invariant broke.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace espd::fuzz {

inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// An invariant of the code under test does not hold: report it and crash.
[[noreturn]] inline void violated(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "\n*** fuzz invariant violated: %s\n", what);
  if (!detail.empty())
    std::fprintf(stderr, "%.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void require(bool holds, const char* what, std::string_view detail = {}) {
  if (!holds) violated(what, detail);
}

// True when `part` is a view into `whole` (an empty view anywhere counts: it reads nothing).
inline bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// SplitMix64 seeded with a hash of the input: the same input always gives the same splits, so a
// crash found with random splits reproduces from the saved input alone.
class SplitGenerator {
 public:
  explicit SplitGenerator(std::string_view input) {
    state_ = 1469598103934665603ULL;  // FNV-1a
    for (unsigned char c : input) {
      state_ ^= c;
      state_ *= 1099511628211ULL;
    }
  }
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Ascending cut points in (0, size): where the bytes are split into separate arrivals. Some
  // near each other (tiny segments), some anywhere.
  std::vector<size_t> cuts(size_t size, size_t max_cuts) {
    std::vector<size_t> result;
    if (size < 2) return result;
    size_t count = 1 + next() % max_cuts;
    size_t at = 0;
    for (size_t i = 0; i < count && at + 1 < size; ++i) {
      size_t room = size - 1 - at;
      size_t step = next() % 4 == 0 ? 1 + next() % 3 : 1 + next() % room;
      at += step < room ? step : room;
      result.push_back(at);
    }
    return result;
  }

 private:
  uint64_t state_;
};

// Every cut point from 1 to size - 1: byte-by-byte arrival.
inline std::vector<size_t> every_byte(size_t size) {
  std::vector<size_t> result;
  for (size_t i = 1; i < size; ++i)
    result.push_back(i);
  return result;
}

// Two transcripts of the same bytes fed differently must be equal.
inline void require_same(const std::string& whole, const std::string& split, const char* what) {
  if (whole == split) return;
  violated(what, "--- fed whole:\n" + whole + "--- fed in pieces:\n" + split);
}

// A private directory under $TMPDIR for the targets that must have files (the configuration
// loader reads files; the admin API writes certificates): created once, removed at exit.
class ScratchDirectory {
 public:
  static const std::filesystem::path& path() {
    static ScratchDirectory instance;
    return instance.path_;
  }

 private:
  ScratchDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "espd-fuzz-XXXXXX").string();
    require(::mkdtemp(pattern.data()) != nullptr, "a scratch directory can be made");
    path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::filesystem::path path_;
};

}  // namespace espd::fuzz
