// Unit tests for the JSON log line builder.
#include "proxy/log/json_line.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using espd::log::JsonLine;

TEST_CASE("a log line is one JSON object ending in a newline") {
  JsonLine line("access");
  line.field("status", 200).field("host", "meet.mycloud.ag").field("ok", true).field("bytes", 12UL);
  std::string text = line.finish();
  REQUIRE(text.back() == '\n');
  CHECK(text.find('\n') == text.size() - 1);
  auto json = nlohmann::json::parse(text);
  CHECK(json["log"] == "access");
  CHECK(json["status"] == 200);
  CHECK(json["host"] == "meet.mycloud.ag");
  CHECK(json["ok"] == true);
  CHECK(json["bytes"] == 12);
  CHECK(json["time"].get<std::string>().size() == 24);
}

TEST_CASE("strings from clients are escaped and stay valid JSON") {
  std::string hostile = "a\"b\\c\nd\r\x01\x7f";
  hostile += std::string("\xc0\xae", 2);  // overlong UTF-8: not valid
  hostile += "\xc3\xa9";                  // valid UTF-8 (e acute)
  JsonLine line("security");
  line.field("path", hostile);
  auto json = nlohmann::json::parse(line.finish());
  std::string path = json["path"];
  CHECK(path.find("a\"b\\c\nd\r\x01\x7f") == 0);
  CHECK(path.find("\\xc0\\xae") != std::string::npos);
  CHECK(path.find("\xc3\xa9") != std::string::npos);
}

TEST_CASE("string lists and negative numbers") {
  JsonLine line("espd");
  line.field("listeners", std::vector<std::string>{"127.0.0.1:8443", "[::1]:443"})
      .field("delta", -5);
  auto json = nlohmann::json::parse(line.finish());
  CHECK(json["listeners"][1] == "[::1]:443");
  CHECK(json["delta"] == -5);
}
