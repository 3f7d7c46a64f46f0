# The dashboard in headless Chromium (tests/www/run.sh): one test, skipped
# without node, its npm modules or Chromium, and under valgrind.
TESTS += tests/www/run.sh
EXTRA_DIST += tests/www/run.sh tests/www/dashboard.mjs tests/www/package.json \
	tests/www/package-lock.json
CLEANFILES += tests/www/screenshots/*.png
