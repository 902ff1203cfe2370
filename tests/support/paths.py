"""Where the source tree, the build and the espd binary are."""

import os
from pathlib import Path

SOURCE_ROOT = Path(os.environ.get("ESPD_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
BUILD_ROOT = Path(os.environ.get("ESPD_BUILD_ROOT", SOURCE_ROOT / "build"))
ESPD_BINARY = Path(os.environ.get("ESPD_BINARY", BUILD_ROOT / "espd"))
TOOLS = SOURCE_ROOT / "tools"
PYTHON = "/usr/bin/python3"
# ASan/UBSan builds: memory figures (RSS) mean nothing there (quarantine, shadow memory).
SANITIZED = os.environ.get("ESPD_SANITIZE", "none") not in ("", "none")
