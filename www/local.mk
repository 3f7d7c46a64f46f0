# The dashboard: static files, no build step. Installed under
# $(pkgdatadir)/www and served by anasd at / (daemon/static.c), with the
# example specs under $(pkgdatadir)/examples for its submit page.
wwwdir = $(pkgdatadir)/www
dist_www_DATA = www/index.html www/style.css

wwwjsdir = $(pkgdatadir)/www/js
dist_wwwjs_DATA = \
	www/js/api.js www/js/app.js www/js/arch.js www/js/charts.js www/js/dom.js \
	www/js/evals.js www/js/live.js www/js/run.js www/js/runs.js www/js/submit.js

examplesdir = $(pkgdatadir)/examples
dist_examples_DATA = \
	clients/examples/analognas-tutorial.json clients/examples/analognas-pareto.json \
	clients/examples/fashion-resnet-analytic.json clients/examples/fashion-resnet-train.json \
	clients/examples/fashion-analog-search.json clients/examples/fashion-analog-pareto.json \
	clients/examples/rpu-search.json
