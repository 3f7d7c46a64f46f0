# CI templates for anasctl: their shell steps live in anas-ci.sh, which
# tests/api/99-anasctl-ci.sh runs as each template calls it.
dist_noinst_SCRIPTS += clients/ci/anas-ci.sh
EXTRA_DIST += clients/ci/README.md clients/ci/github-actions.yml clients/ci/gitlab-ci.yml
