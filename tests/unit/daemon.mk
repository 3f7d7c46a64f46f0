# tests for daemon/
DAEMON_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon -I$(top_srcdir)/schema \
	-I$(top_srcdir)/tests

UNIT_PROGS += tests/unit/daemon-store
UNIT_CHECKS += tests/unit/daemon-store
tests_unit_daemon_store_SOURCES = tests/unit/daemon-store.c \
	daemon/store.c daemon/store.h $(schema_sources)
nodist_tests_unit_daemon_store_SOURCES = $(schema_built)
tests_unit_daemon_store_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS) $(SQLITE_CFLAGS)
tests_unit_daemon_store_LDADD = $(UNIT_LIBS) $(SQLITE_LIBS)

UNIT_PROGS += tests/unit/daemon-http
UNIT_CHECKS += tests/unit/daemon-http
tests_unit_daemon_http_SOURCES = tests/unit/daemon-http.c daemon/http.c daemon/http.h
tests_unit_daemon_http_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS) $(MHD_CFLAGS) $(UV_CFLAGS)
tests_unit_daemon_http_LDADD = $(UNIT_LIBS) $(MHD_LIBS) $(UV_LIBS)

UNIT_PROGS += tests/unit/daemon-auth
UNIT_CHECKS += tests/unit/daemon-auth
tests_unit_daemon_auth_SOURCES = tests/unit/daemon-auth.c daemon/auth.c daemon/auth.h
tests_unit_daemon_auth_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_daemon_auth_LDADD = $(UNIT_LIBS)

# tests/bench/api-load (run by hand): wrk against health, run status,
# evaluation pages and submissions while a 100,000-evaluation search runs.
EXTRA_DIST += tests/bench/api-load
# tests/bench/search-loop-cost (run by hand): the loop thread's CPU time per
# evaluation of that search, with no requests.
EXTRA_DIST += tests/bench/search-loop-cost

# Every allocation of a request fails in turn (allocators wrapped to the
# hook of lib/core/alloc.h); the daemon's code comes from daemon/libanasd.a.
UNIT_PROGS += tests/unit/daemon-allocfail
UNIT_CHECKS += tests/unit/daemon-allocfail
tests_unit_daemon_allocfail_SOURCES = tests/unit/daemon-allocfail.c
tests_unit_daemon_allocfail_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS) $(DAEMON_CPPFLAGS)
tests_unit_daemon_allocfail_LDFLAGS = \
	-Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=strdup
tests_unit_daemon_allocfail_LDADD = daemon/libanasd.a $(DAEMON_LIBS)

# A live run's progress written without jansson is jansson's bytes.
UNIT_PROGS += tests/unit/daemon-runtext
UNIT_CHECKS += tests/unit/daemon-runtext
tests_unit_daemon_runtext_SOURCES = tests/unit/daemon-runtext.c
tests_unit_daemon_runtext_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS) $(DAEMON_CPPFLAGS)
tests_unit_daemon_runtext_LDADD = daemon/libanasd.a $(DAEMON_LIBS)

# An evaluation's config and metrics texts written without jansson are
# jansson's bytes.
UNIT_PROGS += tests/unit/daemon-evaltext
UNIT_CHECKS += tests/unit/daemon-evaltext
tests_unit_daemon_evaltext_SOURCES = tests/unit/daemon-evaltext.c
tests_unit_daemon_evaltext_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS) $(DAEMON_CPPFLAGS)
tests_unit_daemon_evaltext_LDADD = daemon/libanasd.a $(DAEMON_LIBS)
