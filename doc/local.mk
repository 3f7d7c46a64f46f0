dist_man_MANS = doc/anasd.8 doc/anasctl.1 doc/anas-worker.1
EXTRA_DIST += doc/api.md doc/dashboard.png doc/analog-model.md doc/testing.md \
	doc/performance.md
