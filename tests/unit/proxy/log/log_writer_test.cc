// Unit tests for the log writer thread: it sleeps without a timeout, so every record must wake it.
#include "proxy/log/log_writer.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

using espd::log::Destinations;
using espd::log::LogWriter;
using espd::log::Stream;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Waits (bounded) until `path` ends with `tail`.
bool wait_for_tail(const std::string& path, const std::string& tail) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = read_file(path);
    if (text.size() >= tail.size() &&
        text.compare(text.size() - tail.size(), tail.size(), tail) == 0)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace

TEST_CASE("every record wakes the sleeping log writer, from any thread, and stop() wakes it too") {
  char directory[] = "/tmp/espd-log-writer-XXXXXX";
  REQUIRE(mkdtemp(directory) != nullptr);
  std::string path = std::string(directory) + "/espd.log";
  LogWriter& writer = LogWriter::instance();
  Destinations destinations;
  destinations.path[static_cast<size_t>(Stream::kEspd)] = path;
  REQUIRE(writer.configure(destinations).empty());
  writer.start(1024);
  // One record at a time, each submitted while the writer has nothing else to do (it went back to
  // sleep after the previous one), alternately from this thread and from a new one: none may
  // wait for a later record or a timer to be written.
  bool all_written = true;
  for (int i = 0; i < 300 && all_written; ++i) {
    std::string line = "record " + std::to_string(i) + "\n";
    if (i % 2 == 0) {
      writer.submit(Stream::kEspd, std::string(line));
    } else {
      std::thread producer([&writer, line] { writer.submit(Stream::kEspd, std::string(line)); });
      producer.join();
    }
    all_written = wait_for_tail(path, line);
    INFO("record " << i);
    CHECK(all_written);
  }
  writer.stop();  // returns: stop() wakes the sleeping writer
  CHECK(read_file(path).find("record 299\n") != std::string::npos);
  // Back to what the rest of the process expects: everything on stderr.
  REQUIRE(writer.configure(Destinations{}).empty());
  std::remove(path.c_str());
  rmdir(directory);
}
