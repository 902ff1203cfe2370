// Reading one JSON object of the configuration into typed fields.
#include "proxy/config/object_reader.h"

#include <algorithm>

#include "proxy/config/json_reader.h"

namespace espd::config {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitute});
    }
    previous.swap(current);
  }
  return previous[b.size()];
}

}  // namespace

std::string json_type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer";
    case nlohmann::json::value_t::number_float:
      return "number";
    default:
      return "value";
  }
}

ObjectReader::ObjectReader(const nlohmann::json& value, std::string file, std::string pointer,
                           Diagnostics& diagnostics)
    : file_(std::move(file)), pointer_(std::move(pointer)), diagnostics_(diagnostics) {
  if (value.is_object()) {
    object_ = &value;
  } else {
    diagnostics_.error(file_, pointer_, "expected an object, got " + json_type_name(value));
  }
}

ObjectReader::~ObjectReader() {
  if (!object_) return;
  for (const auto& [key, value] : object_->items()) {
    if (known_.count(key)) continue;
    std::string message = "unknown key \"" + key + "\"";
    std::string best;
    size_t best_distance = 3;
    for (const std::string& candidate : known_) {
      size_t distance = edit_distance(key, candidate);
      if (distance < best_distance) {
        best_distance = distance;
        best = candidate;
      }
    }
    if (!best.empty()) message += " (did you mean \"" + best + "\"?)";
    diagnostics_.error(file_of(key), pointer(key), message);
  }
}

const std::string& ObjectReader::file_of(const std::string& key) const {
  return sources_ ? sources_->file_for(pointer(key)) : file_;
}

std::string ObjectReader::pointer(const std::string& key) const {
  return pointer_ + "/" + json_pointer_token(key);
}

bool ObjectReader::has(const char* key) const {
  return object_ && object_->contains(key);
}

const nlohmann::json* ObjectReader::find(const char* key, bool required) {
  known_.insert(key);
  if (!object_) return nullptr;
  auto it = object_->find(key);
  if (it == object_->end()) {
    if (required) diagnostics_.error(file_of(key), pointer(key), "required key is missing");
    return nullptr;
  }
  return &*it;
}

const nlohmann::json* ObjectReader::member(const char* key, bool required) {
  return find(key, required);
}

void ObjectReader::string(const char* key, std::string& out, bool required) {
  const nlohmann::json* value = find(key, required);
  if (!value) return;
  if (!value->is_string()) {
    diagnostics_.error(file_of(key), pointer(key),
                       "expected a string, got " + json_type_name(*value));
    return;
  }
  out = value->get<std::string>();
  if (required && out.empty()) diagnostics_.error(file_of(key), pointer(key), "must not be empty");
}

void ObjectReader::boolean(const char* key, bool& out) {
  const nlohmann::json* value = find(key, false);
  if (!value) return;
  if (!value->is_boolean()) {
    diagnostics_.error(file_of(key), pointer(key),
                       "expected true or false, got " + json_type_name(*value));
    return;
  }
  out = value->get<bool>();
}

bool ObjectReader::read_unsigned(const char* key, uint64_t& out, uint64_t min, uint64_t max,
                                 bool required) {
  const nlohmann::json* value = find(key, required);
  if (!value) return false;
  std::string range = "must be " + std::to_string(min) + ".." + std::to_string(max);
  // nlohmann stores integers as signed or unsigned depending on where they came from (text or
  // code): both count, a negative one is simply out of range.
  if (value->is_number_integer()) {
    if (!value->is_number_unsigned() && value->get<int64_t>() < 0) {
      diagnostics_.error(file_of(key), pointer(key),
                         range + ", got " + std::to_string(value->get<int64_t>()));
      return false;
    }
    uint64_t number = value->get<uint64_t>();
    if (number < min || number > max) {
      diagnostics_.error(file_of(key), pointer(key), range + ", got " + std::to_string(number));
      return false;
    }
    out = number;
    return true;
  }
  diagnostics_.error(file_of(key), pointer(key),
                     "expected an integer (" + range + "), got " + json_type_name(*value));
  return false;
}

void ObjectReader::one_of(const char* key, std::string& out,
                          std::initializer_list<const char*> allowed) {
  std::string value = out;
  const nlohmann::json* raw = find(key, false);
  if (!raw) return;
  if (!raw->is_string()) {
    diagnostics_.error(file_of(key), pointer(key),
                       "expected a string, got " + json_type_name(*raw));
    return;
  }
  value = raw->get<std::string>();
  std::string choices;
  for (const char* choice : allowed) {
    if (value == choice) {
      out = value;
      return;
    }
    choices += std::string(choices.empty() ? "" : ", ") + "\"" + choice + "\"";
  }
  diagnostics_.error(file_of(key), pointer(key),
                     "must be one of " + choices + ", got \"" + value + "\"");
}

void ObjectReader::string_list(const char* key, std::vector<std::string>& out) {
  const nlohmann::json* value = find(key, false);
  if (!value) return;
  if (!value->is_array()) {
    diagnostics_.error(file_of(key), pointer(key),
                       "expected an array of strings, got " + json_type_name(*value));
    return;
  }
  std::vector<std::string> result;
  for (size_t i = 0; i < value->size(); ++i) {
    const nlohmann::json& item = (*value)[i];
    if (!item.is_string()) {
      diagnostics_.error(file_of(key), pointer(key) + "/" + std::to_string(i),
                         "expected a string, got " + json_type_name(item));
      continue;
    }
    result.push_back(item.get<std::string>());
  }
  out = std::move(result);
}

}  // namespace espd::config
