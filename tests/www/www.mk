# The dashboard in headless Chromium (tests/www/run.sh): one test, skipped
# without node, its npm modules or Chromium, and under valgrind. A heavy
# integration test runs in one configuration: not under the sanitizers
# either (a browser's load adds nothing the API tests do not exercise).
if !ASAN
if !TSAN_TESTS
TESTS += tests/www/run.sh
endif
endif
EXTRA_DIST += tests/www/run.sh tests/www/dashboard.mjs tests/www/package.json \
	tests/www/package-lock.json
CLEANFILES += tests/www/screenshots/*.png
