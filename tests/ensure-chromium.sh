#!/usr/bin/env bash
# The browser test needs Chromium. Install it where we can (root with apt-get);
# elsewhere say once how to enable the test. In CI a missing browser fails the test.
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || [ -n "${COURSE_CHROMIUM:-}" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium for the browser test (apt-get)..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    && exit 0
  echo "Could not install Chromium with apt-get."
fi
if [ "${CI:-}" = "true" ]; then
  echo "CI: Chromium is missing and could not be installed: the browser test will FAIL" \
       "(run as root with apt-get, or set COURSE_CHROMIUM=/path/to/chromium)."
else
  echo "Chromium not found: the browser test will be skipped. To enable it, install Chromium" \
       "(Debian/Ubuntu: sudo apt-get install chromium) or set COURSE_CHROMIUM=/path/to/chromium."
fi
exit 0
