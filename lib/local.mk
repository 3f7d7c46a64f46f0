# libanas: pure compute, no HTTP, JSON, SQLite or libuv.
noinst_LIBRARIES += lib/libanas.a
lib_libanas_a_CPPFLAGS = $(AM_CPPFLAGS) $(BLAS_CFLAGS) $(XGBOOST_CFLAGS)
lib_libanas_a_SOURCES = \
	lib/core/err.h lib/core/err.c \
	lib/core/alloc.h lib/core/alloc.c \
	lib/core/rng.h lib/core/rng.c \
	lib/core/log.h lib/core/log.c \
	lib/core/hash.h lib/core/hash.c \
	lib/core/fmt.h lib/core/fmt.c \
	lib/core/metrics.h lib/core/metrics.c \
	lib/space/space.h lib/space/space_int.h lib/space/space.c lib/space/resnet.c \
	lib/surrogate/surrogate.h lib/surrogate/surrogate.c \
	lib/eval/eval.h lib/eval/eval.c \
	lib/search/search.h lib/search/search_int.h lib/search/search.c lib/search/random.c \
	lib/search/ea_analognas.c

# What links against libanas needs these.
LIBANAS_LIBS = lib/libanas.a $(XGBOOST_LIBS) $(BLAS_LIBS) -lm
