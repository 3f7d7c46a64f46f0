# anasd: the thin daemon around libanas.
bin_PROGRAMS += daemon/anasd

DAEMON_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/schema -I$(top_srcdir)/schema \
	$(MHD_CFLAGS) $(UV_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
DAEMON_LIBS = $(LIBANAS_LIBS) $(MHD_LIBS) $(UV_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

# Debian's libjs-chart.js; anasd --chartjs-root overrides it.
CHARTJS_DIR = /usr/share/javascript/chart.js

# Where the dashboard's files are (daemon/conf.c: the source tree's for the
# build tree's binary, the installed copies otherwise).
DAEMON_PATH_CPPFLAGS = \
	-DANASD_PKGDATADIR='"$(pkgdatadir)"' -DANASD_SRCDIR='"$(abs_top_srcdir)"' \
	-DANASD_BUILD_EXE='"$(abs_top_builddir)/daemon/anasd"' \
	-DANASD_CHARTJS_DIR='"$(CHARTJS_DIR)"'

# Everything but main(): the daemon, and the tests that drive its routes
# and codecs with a real struct anasd and no socket (tests/fuzz/fuzz.mk,
# tests/unit/daemon-allocfail), link it.
noinst_LIBRARIES += daemon/libanasd.a
daemon_libanasd_a_CPPFLAGS = $(DAEMON_CPPFLAGS) $(DAEMON_PATH_CPPFLAGS)
daemon_libanasd_a_SOURCES = \
	daemon/anasd.h daemon/boot.c daemon/clock.c \
	daemon/conf.h daemon/conf.c \
	daemon/auth.h daemon/auth.c daemon/api_admin.c \
	daemon/http.h daemon/http.c \
	daemon/route.h daemon/route.c \
	daemon/reply.h daemon/reply.c \
	daemon/codec.h daemon/codec_int.h daemon/codec.c daemon/codec_train.c \
	daemon/codec_analog.c daemon/codec_pulsed.c daemon/codec_surrogate.c daemon/codec_prune.c \
	daemon/jobs.h daemon/jobs.c daemon/run.h daemon/dispatch.c daemon/results.c \
	daemon/rpubase.h daemon/rpubase.c daemon/surrogates.h daemon/surrogates.c \
	daemon/store.h daemon/store.c daemon/evalsetup.h daemon/evalsetup.c \
	daemon/lease.h daemon/lease.c daemon/api_leases.c daemon/b64.h daemon/b64.c \
	daemon/api.h daemon/api_util.c daemon/api_health.c daemon/api_spaces.c \
	daemon/api_architectures.c daemon/api_runs.c daemon/api_pareto.c daemon/api_presets.c \
	daemon/api_surrogates.c daemon/metrics.h daemon/metrics.c daemon/api_metrics.c \
	daemon/events.h daemon/events.c daemon/api_events.c
daemon_libanasd_a_SOURCES += daemon/static.h daemon/static.c
daemon_libanasd_a_SOURCES += daemon/faults.h daemon/faults.c
daemon_libanasd_a_SOURCES += daemon/runtext.h daemon/runtext.c daemon/evaltext.h daemon/evaltext.c
daemon_libanasd_a_SOURCES += daemon/commit.c
daemon_libanasd_a_SOURCES += daemon/checkpoint.h daemon/checkpoint.c
nodist_daemon_libanasd_a_SOURCES = daemon/openapi.c schema/schema.c

daemon_anasd_CPPFLAGS = $(DAEMON_CPPFLAGS) $(DAEMON_PATH_CPPFLAGS)
daemon_anasd_SOURCES = daemon/main.c
daemon_anasd_LDADD = daemon/libanasd.a $(DAEMON_LIBS)

daemon/openapi.c: $(top_srcdir)/schema/openapi.json $(top_srcdir)/daemon/embed-text.sh
	$(AM_V_GEN)$(MKDIR_P) daemon && \
	$(SHELL) $(top_srcdir)/daemon/embed-text.sh api_openapi_json \
		$(top_srcdir)/schema/openapi.json > $@.tmp && mv $@.tmp $@

BUILT_SOURCES += daemon/openapi.c
CLEANFILES += daemon/openapi.c
EXTRA_DIST += daemon/embed-text.sh schema/openapi.json
