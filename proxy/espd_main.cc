// espd: command-line entry point.
#include "espd_version.h"

#include <cstdio>

int main() {
  std::printf("espd %s\n", ESPD_VERSION);
  return 0;
}
