// Saving the configuration atomically, across one or several files.
#include "proxy/admin/config_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace espd::admin {
namespace {

namespace fs = std::filesystem;

constexpr char kJournal[] = ".espd-commit";
constexpr char kTemporarySuffix[] = ".espd-new";

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::string write_synced(const std::string& path, const std::string& contents, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return errno_text("cannot create " + path);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string error = errno_text("cannot write " + path);
      ::close(fd);
      return error;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    std::string error = errno_text("cannot fsync " + path);
    ::close(fd);
    return error;
  }
  ::close(fd);
  return {};
}

std::string sync_directory(const std::string& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_text("cannot open " + directory);
  int result = ::fsync(fd);
  ::close(fd);
  return result == 0 ? std::string() : errno_text("cannot fsync " + directory);
}

mode_t mode_of(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 ? (info.st_mode & 0777) : 0640;
}

// The journal: one target path per line; each target's temporary is target + kTemporarySuffix.
std::string rename_all(const std::vector<std::string>& targets, const std::string& directory) {
  for (const std::string& target : targets) {
    std::string temporary = target + kTemporarySuffix;
    if (::rename(temporary.c_str(), target.c_str()) != 0 && errno != ENOENT) {
      return errno_text("cannot rename " + temporary);
    }
  }
  return sync_directory(directory);
}

}  // namespace

std::string write_files_atomically(const std::map<std::string, std::string>& files,
                                   const std::string& directory) {
  std::string error = recover_interrupted_write(directory);
  if (!error.empty()) return error;
  std::vector<std::string> targets;
  for (const auto& [path, contents] : files) {
    error = write_synced(path + kTemporarySuffix, contents, mode_of(path));
    if (!error.empty()) {
      for (const std::string& done : targets)
        ::unlink((done + kTemporarySuffix).c_str());
      ::unlink((path + kTemporarySuffix).c_str());
      return error;
    }
    targets.push_back(path);
  }
  std::string journal_path = (fs::path(directory) / kJournal).string();
  if (targets.size() > 1) {
    // Several files: the journal (renamed into place, so it exists whole or not at all) is the
    // commit point. Before it, a crash leaves the old files; after it, recovery finishes.
    std::ostringstream journal;
    for (const std::string& target : targets)
      journal << target << "\n";
    error = write_synced(journal_path + kTemporarySuffix, journal.str(), 0600);
    if (error.empty() &&
        ::rename((journal_path + kTemporarySuffix).c_str(), journal_path.c_str()) != 0) {
      error = errno_text("cannot commit " + journal_path);
    }
    if (error.empty()) error = sync_directory(directory);
    if (!error.empty()) {
      for (const std::string& target : targets)
        ::unlink((target + kTemporarySuffix).c_str());
      ::unlink((journal_path + kTemporarySuffix).c_str());
      return error;
    }
  }
  error = rename_all(targets, directory);
  if (!error.empty()) return error;  // the journal stays: recovery completes it
  if (targets.size() > 1) {
    ::unlink(journal_path.c_str());
    return sync_directory(directory);
  }
  return {};
}

std::string recover_interrupted_write(const std::string& directory) {
  std::string journal_path = (fs::path(directory) / kJournal).string();
  std::ifstream journal(journal_path);
  if (journal) {
    std::vector<std::string> targets;
    for (std::string line; std::getline(journal, line);) {
      if (!line.empty()) targets.push_back(line);
    }
    std::string error = rename_all(targets, directory);
    if (!error.empty()) return error;
    ::unlink(journal_path.c_str());
    return sync_directory(directory);
  }
  // No committed journal: temporaries are leftovers of a write that never committed.
  std::error_code ignored;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, ignored)) {
    std::string name = entry.path().filename().string();
    std::string_view suffix = kTemporarySuffix;
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      fs::remove(entry.path(), ignored);
    }
  }
  return {};
}

}  // namespace espd::admin
