// Saving the configuration so that a crash at any instant leaves either the old or the new one on
// disk, never a mix: every changed file is written to a temporary file and fsynced; a commit
// journal listing the renames is written and fsynced; then the renames happen and the journal is
// removed. recover() finishes an interrupted commit (or discards one whose journal never made it
// to disk) and runs before every load.
#pragma once

#include <map>
#include <string>

namespace espd::admin {

// `files`: path -> complete new contents. Returns "" or the error (nothing changed then).
std::string write_files_atomically(const std::map<std::string, std::string>& files,
                                   const std::string& directory);

// Completes or discards an interrupted write in `directory`. Returns "" or the error.
std::string recover_interrupted_write(const std::string& directory);

}  // namespace espd::admin
