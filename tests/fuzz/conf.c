/*
 * conf.c - fuzz target: the JSON configuration file (anasd --config),
 * read by conf_load() as the daemon reads it.
 *
 * It reads the file in the process's own folder, with files there to name
 * (a token file, a folder for the roots): a file either configures the
 * daemon within each option's bounds or is refused with a reason, and
 * conf_fini() frees whatever was read (ASan and valgrind check).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

static char path[600];
static int home = -1; /* the folder the process was started in */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char p[600];

    (void)argc;
    (void)argv;
    snprintf(path, sizeof path, "%s/anasd.json", fuzz_dir());
    snprintf(p, sizeof p, "%s/tokens", fuzz_dir());
    fuzz_write(p, "t1\n# a comment\nt2\n", 19);
    snprintf(p, sizeof p, "%s/root", fuzz_dir());
    if (mkdir(p, 0700) < 0 || (home = open(".", O_RDONLY | O_DIRECTORY)) < 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *argv[] = {"anasd", "--config", path, NULL};
    struct conf c;
    char why[512] = "";
    int rc;

    fuzz_write(path, data, size);
    /* Relative names in the file are read from our folder, and libFuzzer
     * finds its own files where it was started. */
    if (chdir(fuzz_dir()) < 0)
        abort();
    rc = conf_load(&c, 3, (char **)argv, why, sizeof why);
    if (fchdir(home) < 0)
        abort();
    FUZZ_CHECK(rc == CONF_OK || (rc == CONF_ERROR && why[0]), "rc %d without a reason", rc);
    if (rc == CONF_OK) {
        FUZZ_CHECK(c.port >= 0 && c.port <= 65535, "port %d", c.port);
        /* 0: remote workers evaluate, anasd only coordinates */
        FUZZ_CHECK(c.workers >= 0 && c.workers <= 256, "workers %d", c.workers);
        FUZZ_CHECK(c.max_body >= 1024, "max_body %ld", c.max_body);
        FUZZ_CHECK(memchr(c.db, '\0', sizeof c.db), "db is not terminated");
        FUZZ_CHECK(conf_is_loopback(c.listen_addr) || c.n_api_tokens > 0,
                   "listens on %s without tokens", c.listen_addr);
    }
    conf_fini(&c);
    return 0;
}
