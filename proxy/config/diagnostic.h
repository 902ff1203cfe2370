// A configuration error or warning, located by file and JSON pointer.
#pragma once

#include <string>
#include <vector>

namespace espd::config {

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;       // e.g. "conf.d/lync.json"; "" when not from a file (admin API body)
  std::string json_path;  // RFC 6901 pointer, e.g.
                          // "/virtual_services/ESPforLYNC/pools/fe/real_servers/1/port"
  std::string message;    // e.g. "must be 1..65535, got 70000"

  // "conf.d/lync.json: /virtual_services/x/listen: error: must be address:port, got \"foo\""
  std::string to_string() const;
};

class Diagnostics {
 public:
  void error(std::string file, std::string json_path, std::string message);
  void warning(std::string file, std::string json_path, std::string message);
  void append(const Diagnostics& other);

  bool has_errors() const;
  const std::vector<Diagnostic>& all() const { return items_; }
  size_t error_count() const;
  size_t warning_count() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace espd::config
