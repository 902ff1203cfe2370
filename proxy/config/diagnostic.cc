// Formatting and collection of configuration diagnostics.
#include "proxy/config/diagnostic.h"

#include <algorithm>

namespace espd::config {

std::string Diagnostic::to_string() const {
  std::string out;
  if (!file.empty()) out += file + ": ";
  out += json_path.empty() ? "/" : json_path;
  out += severity == Severity::kError ? ": error: " : ": warning: ";
  out += message;
  return out;
}

void Diagnostics::error(std::string file, std::string json_path, std::string message) {
  items_.push_back({Severity::kError, std::move(file), std::move(json_path), std::move(message)});
}

void Diagnostics::warning(std::string file, std::string json_path, std::string message) {
  items_.push_back({Severity::kWarning, std::move(file), std::move(json_path), std::move(message)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const {
  return error_count() > 0;
}

size_t Diagnostics::error_count() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

size_t Diagnostics::warning_count() const {
  return items_.size() - error_count();
}

}  // namespace espd::config
