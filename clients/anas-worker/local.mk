# anas-worker: evaluates anasd's evaluations on another machine
# (doc/anas-worker.1). It decodes a lease's run spec with anasd's own codec
# and builds the evaluation with daemon/evalsetup.c, the code anasd's
# threads use, so both give bit-identical metrics.
bin_PROGRAMS += clients/anas-worker/anas-worker

clients_anas_worker_anas_worker_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon \
	$(CURL_CFLAGS) $(JANSSON_CFLAGS) \
	-DANASD_PKGDATADIR='"$(pkgdatadir)"' -DANASD_SRCDIR='"$(abs_top_srcdir)"' \
	-DANASD_BUILD_EXE='"$(abs_top_builddir)/daemon/anasd"' \
	-DANASD_CHARTJS_DIR='"$(CHARTJS_DIR)"'
clients_anas_worker_anas_worker_LDADD = $(LIBANAS_LIBS) $(CURL_LIBS) $(JANSSON_LIBS) -lpthread
clients_anas_worker_anas_worker_SOURCES = \
	clients/anas-worker/worker.h clients/anas-worker/main.c clients/anas-worker/loop.c \
	clients/anas-worker/runs.c clients/anas-worker/http.c \
	daemon/codec.c daemon/codec_train.c daemon/codec_analog.c daemon/codec_pulsed.c daemon/codec_surrogate.c \
	daemon/codec_prune.c daemon/conf.c daemon/auth.c daemon/evalsetup.c daemon/b64.c
