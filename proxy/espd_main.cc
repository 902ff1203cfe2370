// espd: command-line entry point (serve, --check, --version, --help).
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "certs/certificate_loader.h"
#include "espd_version.h"
#include "proxy/config/config_loader.h"
#include "proxy/runtime/snapshot.h"
#include "proxy/runtime/supervisor.h"

namespace {

constexpr char kUsage[] =
    "Usage: espd --config PATH [--check]\n"
    "       espd --version | --help\n"
    "\n"
    "HTTPS reverse proxy and Edge Security Pack for publishing Lync / Skype for Business\n"
    "web services.\n"
    "\n"
    "  -c, --config PATH  configuration: a JSON file, or a directory whose *.json files\n"
    "                     are loaded in name order\n"
    "      --check        validate the configuration (certificates included), print every\n"
    "                     error and warning, exit 0 if it is valid, 1 if not\n"
    "      --version      print the version\n"
    "  -h, --help         this text\n"
    "\n"
    "Signals: SIGHUP reloads the configuration (an invalid one is rejected and the running one\n"
    "kept), SIGUSR1 reopens log files, SIGTERM/SIGINT stop gracefully.\n";

int check(const std::string& path) {
  espd::config::LoadResult loaded = espd::config::load_config(path);
  espd::config::Diagnostics diagnostics = loaded.diagnostics;
  if (loaded.partial) {
    // The same compilation as a real start: certificates and trust stores are loaded too, even
    // when the file has other errors, so that one run lists everything to fix.
    espd::runtime::build_snapshot(loaded.partial, nullptr, diagnostics);
  }
  for (const espd::config::Diagnostic& d : diagnostics.all()) {
    std::fprintf(stderr, "%s\n", d.to_string().c_str());
  }
  if (diagnostics.has_errors()) {
    std::fprintf(stderr, "%s: configuration is invalid (%zu error(s), %zu warning(s))\n",
                 path.c_str(), diagnostics.error_count(), diagnostics.warning_count());
    return 1;
  }
  std::printf("%s: configuration is valid (%zu warning(s))\n", path.c_str(),
              diagnostics.warning_count());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("espd %s\n", ESPD_VERSION);
      return 0;
    }
    if (arg == "--check") {
      check_only = true;
    } else if ((arg == "--config" || arg == "-c") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(9);
    } else {
      std::fprintf(stderr, "espd: unknown argument \"%s\"\n\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "espd: --config PATH is required\n\n%s", kUsage);
    return 2;
  }
  espd::certs::OpenSslProviders providers;
  if (check_only) return check(config_path);

  signal(SIGPIPE, SIG_IGN);
  espd::runtime::Supervisor supervisor(config_path);
  return supervisor.run();
}
