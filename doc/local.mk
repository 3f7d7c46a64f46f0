dist_man_MANS = doc/anasd.8
EXTRA_DIST += doc/api.md doc/dashboard.png
