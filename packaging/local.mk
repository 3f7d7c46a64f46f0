# The service: a systemd unit, its system user, and a default configuration.
# Paths in them follow configure's (the unit runs $(bindir)/anasd with
# $(sysconfdir)/anasd/anasd.json). packaging/debian builds the .deb from
# what `make install` puts in place.
systemdsystemunit_DATA = packaging/systemd/anasd.service
sysusers_DATA = packaging/systemd/anasd.conf
anasdconfdir = $(sysconfdir)/anasd
anasdconf_DATA = packaging/systemd/anasd.json

# The default data root, made to exist: anasd refuses a --data-root that
# does not (Debian's dataset packages install under it).
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(datadir)/datasets'

SUBST_PATHS = $(SED) -e 's|@bindir[@]|$(bindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@datadir[@]|$(datadir)|g'

packaging/systemd/anasd.service: $(top_srcdir)/packaging/systemd/anasd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) packaging/systemd && \
	$(SUBST_PATHS) $(top_srcdir)/packaging/systemd/anasd.service.in >$@.tmp && mv $@.tmp $@
packaging/systemd/anasd.json: $(top_srcdir)/packaging/systemd/anasd.json.in Makefile
	$(AM_V_GEN)$(MKDIR_P) packaging/systemd && \
	$(SUBST_PATHS) $(top_srcdir)/packaging/systemd/anasd.json.in >$@.tmp && mv $@.tmp $@
packaging/systemd/anasd.conf: $(top_srcdir)/packaging/systemd/anasd.sysusers
	$(AM_V_GEN)$(MKDIR_P) packaging/systemd && cp $(top_srcdir)/packaging/systemd/anasd.sysusers $@

CLEANFILES += packaging/systemd/anasd.service packaging/systemd/anasd.json \
	packaging/systemd/anasd.conf
EXTRA_DIST += packaging/systemd/anasd.service.in packaging/systemd/anasd.json.in \
	packaging/systemd/anasd.sysusers packaging/build-deb \
	packaging/debian/changelog packaging/debian/control packaging/debian/copyright \
	packaging/debian/rules packaging/debian/source/format \
	packaging/debian/anasd.install packaging/debian/anasd.dirs \
	packaging/debian/anasd.docs packaging/debian/anasctl.install \
	packaging/debian/anasd.lintian-overrides packaging/debian/anasctl.lintian-overrides

# Launchers of remote workers (README "Running on a cluster"): they only
# start anas-worker processes.
slurmdir = $(pkgdatadir)/slurm
dist_slurm_SCRIPTS = packaging/slurm/anas-slurm-submit packaging/slurm/anas-worker.sbatch
k8sdir = $(pkgdatadir)/k8s
dist_k8s_DATA = packaging/k8s/anas-worker-job.yaml
