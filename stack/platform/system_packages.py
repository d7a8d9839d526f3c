"""System programs `make setup` installs with apt-get when missing: `python -m stack.platform.system_packages`.

None of them is needed to run the product on the local platform; each serves one extra: the
compose client checks ``docker-compose.yaml`` in the tests, headless Chromium with its driver
runs the status page's browser test, and stress-ng loads the CPU for a run of the tests on a busy
machine. As root on Debian/Ubuntu a missing
program is installed; otherwise setup prints one line saying how to get it, and carries on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# (program, Debian package, what it is for)
PACKAGES: list[tuple[str, str, str]] = [
    ("docker-compose", "docker-compose", "the tests validate docker-compose.yaml with it"),
    ("chromium", "chromium", "the status page's browser test drives it"),
    ("chromedriver", "chromium-driver", "the status page's browser test drives Chromium with it"),
    ("stress-ng", "stress-ng", "it loads the CPU for a run of the tests on a busy machine"),
]


def missing() -> list[tuple[str, str, str]]:
    return [entry for entry in PACKAGES if shutil.which(entry[0]) is None]


def install(entries: list[tuple[str, str, str]]) -> bool:
    """Installs the packages with apt-get; returns whether that worked."""
    packages = [package for _, package, _ in entries]
    print(f"Installing {', '.join(packages)} with apt-get...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        if subprocess.run(command, env=env, check=False).returncode != 0:
            return False
    return True


def main() -> int:
    entries = missing()
    if not entries:
        return 0
    if os.geteuid() == 0 and shutil.which("apt-get") and install(entries):
        entries = missing()
    for program, package, purpose in entries:
        print(f"{program} is not installed ({purpose}): install it with `apt-get install {package}` as root.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
