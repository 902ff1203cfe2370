// Reading a JSON configuration file strictly.
#include "proxy/config/json_reader.h"

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace espd::config {
namespace {

constexpr size_t kMaxConfigBytes = 16 * 1024 * 1024;

// Line and column (1-based) of a byte offset.
std::pair<size_t, size_t> line_column(const std::string& text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace

std::string json_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<nlohmann::json> parse_json_text(const std::string& text,
                                              const std::string& display_name,
                                              Diagnostics& diagnostics) {
  // Keys seen per open object, to refuse duplicates; the path of open containers for messages.
  std::vector<std::set<std::string>> keys;
  std::vector<std::string> path;
  std::string pending_key;
  std::string duplicate_pointer;
  auto pointer = [&]() {
    std::string p;
    for (const std::string& token : path)
      p.append("/").append(json_pointer_token(token));
    return p;
  };
  std::vector<size_t> array_index;
  std::vector<bool> in_array;
  nlohmann::json::parser_callback_t callback = [&](int, nlohmann::json::parse_event_t event,
                                                   nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        if (!in_array.empty()) {
          if (in_array.back()) {
            path.push_back(std::to_string(array_index.back()++));
          } else {
            path.push_back(pending_key);
          }
        }
        in_array.push_back(event == Event::array_start);
        array_index.push_back(0);
        keys.emplace_back();
        break;
      case Event::object_end:
      case Event::array_end:
        in_array.pop_back();
        array_index.pop_back();
        keys.pop_back();
        if (!path.empty() && !in_array.empty()) path.pop_back();
        break;
      case Event::key: {
        pending_key = parsed.get<std::string>();
        if (!keys.back().insert(pending_key).second && duplicate_pointer.empty()) {
          duplicate_pointer = pointer().append("/").append(json_pointer_token(pending_key));
        }
        break;
      }
      case Event::value:
        if (!in_array.empty() && in_array.back()) ++array_index.back();
        break;
    }
    return true;
  };
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text, callback, /*allow_exceptions=*/true,
                                     /*ignore_comments=*/false);
  } catch (const nlohmann::json::parse_error& error) {
    auto [line, column] = line_column(text, error.byte > 0 ? error.byte - 1 : 0);
    std::string message = error.what();
    // nlohmann's text: "[json.exception.parse_error.101] parse error at line 3, column 5: ...".
    size_t detail = message.find(": ", message.find("parse error"));
    std::string reason = detail == std::string::npos ? message : message.substr(detail + 2);
    diagnostics.error(display_name, "",
                      "invalid JSON at line " + std::to_string(line) + ", column " +
                          std::to_string(column) + ": " + reason);
    return std::nullopt;
  }
  if (!duplicate_pointer.empty()) {
    diagnostics.error(display_name, duplicate_pointer,
                      "key defined twice in the same object (the second would silently win)");
    return std::nullopt;
  }
  return document;
}

std::optional<nlohmann::json> read_json_file(const std::string& path,
                                             const std::string& display_name,
                                             Diagnostics& diagnostics) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.error(display_name, "", "cannot read the file");
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.size() > kMaxConfigBytes) {
    diagnostics.error(display_name, "", "file larger than 16 MiB");
    return std::nullopt;
  }
  return parse_json_text(text, display_name, diagnostics);
}

}  // namespace espd::config
