# Database migrations: every schema/NNNN_*.sql is embedded into a generated
# schema/schema.c (in the build tree) by schema/embed.sh. Adding a migration
# is adding its file to schema_sql; the numbers must run 1, 2, 3...
schema_sql = schema/0001_init.sql schema/0002_surrogates.sql schema/0003_pruning.sql \
	schema/0004_cursor.sql schema/0005_unused_indexes.sql

# Programs that use the store list $(schema_sources) in their _SOURCES and
# $(schema_built) in their nodist_..._SOURCES, with -I$(top_srcdir)/schema.
schema_sources = schema/schema.h
schema_built = schema/schema.c

schema/schema.c: $(schema_sql) $(top_srcdir)/schema/embed.sh
	$(AM_V_GEN)$(MKDIR_P) $(@D) && files= && \
	for f in $(schema_sql); do files="$$files $(top_srcdir)/$$f"; done && \
	AWK='$(AWK)' $(SHELL) $(top_srcdir)/schema/embed.sh $$files > $@.tmp && \
	mv -f $@.tmp $@

BUILT_SOURCES += $(schema_built)
CLEANFILES += $(schema_built) $(schema_built).tmp
EXTRA_DIST += $(schema_sql) schema/embed.sh schema/schema.h
