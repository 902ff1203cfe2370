// Unit tests for JSON Merge Patch and the atomic configuration writer.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "proxy/admin/config_files.h"
#include "proxy/admin/json_merge_patch.h"

using namespace espd::admin;
using nlohmann::json;

namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("espd-admin-test-" + std::to_string(std::random_device()()));
  Dir() { std::filesystem::create_directories(path); }
  ~Dir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("merge patch follows RFC 7396 section 3 examples") {
  struct Case {
    const char* target;
    const char* patch;
    const char* result;
  } cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Case& c : cases) {
    json target = json::parse(c.target);
    apply_merge_patch(target, json::parse(c.patch));
    INFO(c.target << " + " << c.patch);
    CHECK(target == json::parse(c.result));
  }
}

TEST_CASE("one file is replaced atomically, keeping its mode") {
  Dir dir;
  auto file = dir.path / "espd.json";
  std::ofstream(file) << "old";
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  REQUIRE(write_files_atomically({{file.string(), "new"}}, dir.path.string()).empty());
  CHECK(read(file) == "new");
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::group_read) ==
        std::filesystem::perms::none);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path)) {
    CHECK(entry.path().filename() == "espd.json");  // no temporary, no journal left
  }
}

TEST_CASE("an interrupted multi-file write is completed when its journal was committed") {
  Dir dir;
  auto a = dir.path / "10-a.json", b = dir.path / "20-b.json";
  std::ofstream(a) << "a-old";
  std::ofstream(b) << "b-old";
  // The state right after the commit point: both temporaries and the journal, no rename yet.
  std::ofstream(a.string() + ".espd-new") << "a-new";
  std::ofstream(b.string() + ".espd-new") << "b-new";
  std::ofstream(dir.path / ".espd-commit") << a.string() << "\n" << b.string() << "\n";
  REQUIRE(recover_interrupted_write(dir.path.string()).empty());
  CHECK(read(a) == "a-new");
  CHECK(read(b) == "b-new");
  CHECK_FALSE(std::filesystem::exists(dir.path / ".espd-commit"));
}

TEST_CASE("an interrupted multi-file write without a journal leaves the old files") {
  Dir dir;
  auto a = dir.path / "10-a.json", b = dir.path / "20-b.json";
  std::ofstream(a) << "a-old";
  std::ofstream(b) << "b-old";
  std::ofstream(a.string() + ".espd-new") << "a-new";  // crashed before writing b and the journal
  std::ofstream(dir.path / ".espd-commit.espd-new") << "partial";
  REQUIRE(recover_interrupted_write(dir.path.string()).empty());
  CHECK(read(a) == "a-old");
  CHECK(read(b) == "b-old");
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path), {}) == 2);
}

TEST_CASE("several files are written together") {
  Dir dir;
  auto a = dir.path / "10-a.json", b = dir.path / "20-b.json";
  std::ofstream(a) << "a-old";
  REQUIRE(write_files_atomically({{a.string(), "a-new"}, {b.string(), "b-new"}}, dir.path.string())
              .empty());
  CHECK(read(a) == "a-new");
  CHECK(read(b) == "b-new");
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path), {}) == 2);
}
