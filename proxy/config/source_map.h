// Which file each part of a (possibly merged) configuration document came from.
#pragma once

#include <map>
#include <string>

namespace espd::config {

class SourceMap {
 public:
  explicit SourceMap(std::string default_file) : default_(std::move(default_file)) {}

  // Everything at or below `pointer` (e.g. "/virtual_services/ESPforLYNC") came from `file`.
  void set(const std::string& pointer, const std::string& file) { files_[pointer] = file; }
  // The file of the longest registered prefix of `pointer`, else the default.
  const std::string& file_for(const std::string& pointer) const;

 private:
  std::string default_;
  std::map<std::string, std::string> files_;
};

}  // namespace espd::config
