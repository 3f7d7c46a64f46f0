/*
 * junit.c - the gates as JUnit XML, the test-report format GitHub Actions
 * (via report actions) and GitLab (artifacts:reports:junit) display: one
 * testcase per gate, a failure carrying the value and the threshold.
 */
#include "config.h"

#include "anasctl.h"

#include <string.h>

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

int junit_write(const char *path, long run, const struct gate *g, int n, const char *run_state)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f)
        return -1;
    int failures = 0;
    for (int i = 0; i < n; i++)
        failures += !g[i].passed;
    int run_ok = !strcmp(run_state, "succeeded");
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites>\n<testsuite name=\"anasd run %ld\" tests=\"%d\" failures=\"%d\" "
            "errors=\"%d\">\n", run, n + 1, failures, !run_ok);
    fprintf(f, "  <testcase classname=\"anasctl.run\" name=\"run %ld succeeded\">", run);
    if (!run_ok) {
        fprintf(f, "<error message=\"run %ld ended ", run);
        xml_text(f, run_state);
        fprintf(f, "\"/>");
    }
    fprintf(f, "</testcase>\n");
    for (int i = 0; i < n; i++) {
        char msg[256];
        gate_describe(&g[i], msg, sizeof msg);
        fprintf(f, "  <testcase classname=\"anasctl.gate\" name=\"");
        xml_text(f, g[i].over ? "fail-over " : "fail-under ");
        xml_text(f, g[i].metric);
        fprintf(f, "=%.10g\">", g[i].threshold);
        if (!g[i].passed) {
            fprintf(f, "<failure message=\"");
            xml_text(f, msg);
            fprintf(f, "\"/>");
        } else {
            fprintf(f, "<system-out>");
            xml_text(f, msg);
            fprintf(f, "</system-out>");
        }
        fprintf(f, "</testcase>\n");
    }
    fprintf(f, "</testsuite>\n</testsuites>\n");
    if (f == stdout)
        return fflush(f) ? -1 : 0;
    return fclose(f) ? -1 : 0;
}
