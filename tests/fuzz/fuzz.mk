# Fuzz targets (tests/fuzz/*.c): one program per parser, fuzz-NAME.
# Without --enable-fuzzing they link replay.c, and `make check` replays their
# seed corpora (tests/fuzz/corpus/NAME/) in every configuration. With it they
# link libFuzzer, and `make fuzz FUZZ_SECONDS=N` runs each N seconds
# (tests/fuzz/run.sh); `make fuzz-merge` adds the new inputs that raise
# coverage to the seed corpora (then keep them few: make check replays them).
FUZZ_TARGETS = http runspec arch hardware conf pathguard idx cifar safetensors
FUZZ_PROGS = tests/fuzz/fuzz-http tests/fuzz/fuzz-runspec tests/fuzz/fuzz-arch \
	tests/fuzz/fuzz-hardware tests/fuzz/fuzz-conf tests/fuzz/fuzz-pathguard \
	tests/fuzz/fuzz-idx tests/fuzz/fuzz-cifar tests/fuzz/fuzz-safetensors
FUZZ_SECONDS = 60

FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon -I$(top_srcdir)/tests/fuzz \
	$(UV_CFLAGS) $(JANSSON_CFLAGS) -DFUZZ_SRCDIR='"$(abs_top_srcdir)"'
# fuzz.c (and without libFuzzer replay.c, with main()) compiled once for all.
if FUZZING
FUZZ_LINK = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
EXTRA_PROGRAMS = $(FUZZ_PROGS)
CLEANFILES += $(FUZZ_PROGS)
else
FUZZ_LINK = $(AM_LDFLAGS)
UNIT_PROGS += $(FUZZ_PROGS)
UNIT_CHECKS += $(FUZZ_PROGS)
endif
check_LIBRARIES = tests/fuzz/libfuzz.a
tests_fuzz_libfuzz_a_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_libfuzz_a_SOURCES = tests/fuzz/fuzz.h tests/fuzz/fuzz.c
if !FUZZING
tests_fuzz_libfuzz_a_SOURCES += tests/fuzz/replay.c
endif
FUZZ_COMMON = tests/fuzz/fuzz.h
FUZZ_DAEMON_LIBS = tests/fuzz/libfuzz.a daemon/libanasd.a $(DAEMON_LIBS)
FUZZ_LIB_LIBS = tests/fuzz/libfuzz.a $(UNIT_LIBS)

tests_fuzz_fuzz_http_SOURCES = tests/fuzz/http.c $(FUZZ_COMMON)
tests_fuzz_fuzz_http_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_http_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_http_LDADD = $(FUZZ_DAEMON_LIBS)

tests_fuzz_fuzz_runspec_SOURCES = tests/fuzz/runspec.c $(FUZZ_COMMON)
tests_fuzz_fuzz_runspec_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_runspec_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_runspec_LDADD = $(FUZZ_DAEMON_LIBS)

tests_fuzz_fuzz_arch_SOURCES = tests/fuzz/arch.c $(FUZZ_COMMON)
tests_fuzz_fuzz_arch_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_arch_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_arch_LDADD = $(FUZZ_DAEMON_LIBS)

tests_fuzz_fuzz_hardware_SOURCES = tests/fuzz/hardware.c $(FUZZ_COMMON)
tests_fuzz_fuzz_hardware_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_hardware_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_hardware_LDADD = $(FUZZ_DAEMON_LIBS)

tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/conf.c $(FUZZ_COMMON)
tests_fuzz_fuzz_conf_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_conf_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_conf_LDADD = $(FUZZ_DAEMON_LIBS)

tests_fuzz_fuzz_pathguard_SOURCES = tests/fuzz/pathguard.c $(FUZZ_COMMON)
tests_fuzz_fuzz_pathguard_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_pathguard_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_pathguard_LDADD = $(FUZZ_DAEMON_LIBS)

tests_fuzz_fuzz_idx_SOURCES = tests/fuzz/idx.c $(FUZZ_COMMON)
tests_fuzz_fuzz_idx_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_idx_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_idx_LDADD = $(FUZZ_LIB_LIBS)

tests_fuzz_fuzz_cifar_SOURCES = tests/fuzz/cifar.c $(FUZZ_COMMON)
tests_fuzz_fuzz_cifar_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_cifar_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_cifar_LDADD = $(FUZZ_LIB_LIBS)

tests_fuzz_fuzz_safetensors_SOURCES = tests/fuzz/safetensors.c $(FUZZ_COMMON)
tests_fuzz_fuzz_safetensors_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_safetensors_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_safetensors_LDADD = $(FUZZ_LIB_LIBS)

EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/corpus tests/fuzz/http.dict \
	tests/fuzz/runspec.dict

# make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS='http conf']: each target N
# seconds, new inputs and crashes under fuzz-out/NAME/ in the build tree.
fuzz:
if FUZZING
	@$(MAKE) $(AM_MAKEFLAGS) $(FUZZ_PROGS)
	@$(SHELL) $(srcdir)/tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(srcdir) $(FUZZ_TARGETS)
else
	@echo "make fuzz needs a build configured with --enable-fuzzing (and CC=clang)" >&2; exit 1
endif

fuzz-merge:
if FUZZING
	@$(MAKE) $(AM_MAKEFLAGS) $(FUZZ_PROGS)
	@$(SHELL) $(srcdir)/tests/fuzz/run.sh merge 0 $(srcdir) $(FUZZ_TARGETS)
else
	@echo "make fuzz-merge needs a build configured with --enable-fuzzing" >&2; exit 1
endif

clean-local: clean-fuzz
clean-fuzz:
	-rm -rf fuzz-out

.PHONY: fuzz fuzz-merge clean-fuzz
