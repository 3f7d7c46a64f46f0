# The Debian package, built and run from an unpacked .deb (tests/pkg/deb.sh):
# with --enable-package-tests only (packaging/test's build-test), since it
# builds the whole tree once more. First in TESTS: it is the longest.
if PACKAGE_TESTS
TESTS += tests/pkg/deb.sh
endif
EXTRA_DIST += tests/pkg/deb.sh
