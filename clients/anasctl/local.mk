# anasctl: the command-line client of anasd's REST API (doc/anasctl.1).
bin_PROGRAMS += clients/anasctl/anasctl

clients_anasctl_anasctl_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
clients_anasctl_anasctl_LDADD = $(CURL_LIBS) $(JANSSON_LIBS)
clients_anasctl_anasctl_SOURCES = \
	clients/anasctl/anasctl.h clients/anasctl/main.c \
	clients/anasctl/cmd.h clients/anasctl/cmd.c \
	clients/anasctl/conf.h clients/anasctl/conf.c \
	clients/anasctl/http.c clients/anasctl/sse.c clients/anasctl/out.c \
	clients/anasctl/gate.c clients/anasctl/wait.c clients/anasctl/junit.c

# The pure parts, gates and the event-stream parser, have unit tests.
UNIT_PROGS += tests/unit/anasctl-gate
UNIT_CHECKS += tests/unit/anasctl-gate
tests_unit_anasctl_gate_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/clients/anasctl $(JANSSON_CFLAGS)
tests_unit_anasctl_gate_SOURCES = tests/unit/anasctl-gate.c clients/anasctl/gate.c
tests_unit_anasctl_gate_LDADD = $(JANSSON_LIBS)

UNIT_PROGS += tests/unit/anasctl-sse
UNIT_CHECKS += tests/unit/anasctl-sse
tests_unit_anasctl_sse_CPPFLAGS = $(tests_unit_anasctl_gate_CPPFLAGS)
tests_unit_anasctl_sse_SOURCES = tests/unit/anasctl-sse.c clients/anasctl/sse.c
tests_unit_anasctl_sse_LDADD = $(JANSSON_LIBS)
