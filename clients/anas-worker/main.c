/*
 * main.c - anas-worker's command line, signals and threads
 * (doc/anas-worker.1).
 *
 * Exit status: 0 after SIGTERM or SIGINT (every lease released) or
 * --exit-when-idle, 1 when anasd refused the worker or a lease could not
 * be evaluated here (a dataset outside --data-root...), 2 on a usage error.
 */
#include "config.h"

#include "worker.h"

#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evalsetup.h"

static struct worker the_worker;
static struct beats *the_beats;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&the_worker.stop, 1);
    if (the_beats)
        beats_cancel_all(the_beats);
}

static void usage(FILE *f)
{
    fputs("Usage: anas-worker --url URL [OPTION]...\n"
          "Evaluate anasd's evaluations on this machine: lease one, evaluate it, post\n"
          "the result, again (see anas-worker(1)).\n\n"
          "  --url URL              anasd's address, e.g. http://head:8080\n"
          "  --token-file FILE      bearer token (the first word of the first line)\n"
          "  --data-root DIR        directory datasets may be read from (repeatable)\n"
          "  --model-root DIR       directory surrogate models may be read from (repeatable)\n"
          "  --threads N            evaluations at once (default 1)\n"
          "  --id ID                this worker's name (default HOST-PID)\n"
          "  --evaluators LIST      evaluator kinds to take, comma-separated\n"
          "                         (default analytic,surrogate,train)\n"
          "  --exit-when-idle SECONDS  exit 0 after this long without work (default: never)\n"
          "  --help                 print this help and exit\n"
          "  --version              print the version and exit\n",
          f);
}

/* A usage error: say why, exit status 2. */
#define bad(...) (say(__VA_ARGS__), 2)

static int add_root(char **roots, int *n, const char *dir)
{
    char real[PATH_MAX];
    if (*n >= CONF_MAX_ROOTS)
        return bad("at most 16 roots of each kind: %s", dir);
    if (!realpath(dir, real))
        return bad("not a directory: %s", dir);
    roots[(*n)++] = strdup(real);
    return 0;
}

static int read_token(struct worker *w, const char *file)
{
    FILE *f = fopen(file, "r");
    char line[600];
    if (!f)
        return bad("cannot read the token file %s", file);
    if (!fgets(line, sizeof line, f) || sscanf(line, "%511s", w->token) != 1) {
        fclose(f);
        return bad("no token in %s", file);
    }
    fclose(f);
    memset(line, 0, sizeof line);
    return 0;
}

static int parse_evaluators(struct worker *w, const char *list)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", list);
    w->evaluators = 0;
    for (char *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        enum anas_eval_kind e;
        if (anas_eval_kind_parse(k, &e) < 0 || e == ANAS_EVAL_RPU)
            return bad("--evaluators: analytic, surrogate or train, not %s", k);
        w->evaluators |= 1u << e;
    }
    return w->evaluators ? 0 : bad("--evaluators: %s names none", list);
}

static int int_arg(const char *name, const char *v, int lo, int hi, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < lo || x > hi)
        return bad("bad %s", name);
    *out = (int)x;
    return 0;
}

/* 0 to run, -1 when --help or --version was printed, else the exit status. */
static int parse(struct worker *w, int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, 0, 'u'},       {"token-file", required_argument, 0, 't'},
        {"data-root", required_argument, 0, 'd'}, {"model-root", required_argument, 0, 'm'},
        {"threads", required_argument, 0, 'n'},   {"id", required_argument, 0, 'i'},
        {"evaluators", required_argument, 0, 'e'},
        {"exit-when-idle", required_argument, 0, 'x'},
        {"help", no_argument, 0, 'h'},            {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    int c, rc = 0;
    w->threads = 1;
    w->evaluators = 1u << ANAS_EVAL_ANALYTIC | 1u << ANAS_EVAL_SURROGATE | 1u << ANAS_EVAL_TRAIN;
    gethostname(w->host, sizeof w->host - 1);
    snprintf(w->id, sizeof w->id, "%.40s-%ld", w->host, (long)getpid());
    while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
                return bad("--url: an http:// or https:// URL, not %s", optarg);
            snprintf(w->url, sizeof w->url, "%s", optarg);
            if (strlen(w->url) > 0 && w->url[strlen(w->url) - 1] == '/')
                w->url[strlen(w->url) - 1] = '\0';
            break;
        case 't': rc = read_token(w, optarg); break;
        case 'd': rc = add_root(w->conf.data_roots, &w->conf.n_data_roots, optarg); break;
        case 'm': rc = add_root(w->conf.model_roots, &w->conf.n_model_roots, optarg); break;
        case 'n': rc = int_arg("--threads (1 to 256)", optarg, 1, 256, &w->threads); break;
        case 'x': rc = int_arg("--exit-when-idle", optarg, 0, 1 << 30, &w->idle_exit); break;
        case 'e': rc = parse_evaluators(w, optarg); break;
        case 'i':
            if (!*optarg || strlen(optarg) >= sizeof w->id)
                return bad("--id: 1 to 63 characters: %s", optarg);
            snprintf(w->id, sizeof w->id, "%s", optarg);
            break;
        case 'h': usage(stdout); return -1;
        case 'V': printf("anas-worker %s\n", PACKAGE_VERSION); return -1;
        default: usage(stderr); return 2;
        }
    }
    if (rc == 0 && optind < argc)
        return bad("unexpected argument: %s", argv[optind]);
    if (rc == 0 && !w->url[0])
        return bad("%s", "--url is required");
    return rc;
}

static int run(struct worker *w)
{
    pthread_t *th = calloc((size_t)w->threads, sizeof *th), beat;
    struct thread_arg *args = calloc((size_t)w->threads, sizeof *args);
    struct sigaction sa;
    int started = 0;
    if (!th || !args || !(the_beats = beats_new(w, w->threads))) {
        free(th);
        free(args);
        return 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    pthread_create(&beat, NULL, beats_thread, the_beats);
    for (int i = 0; i < w->threads; i++) {
        args[i] = (struct thread_arg){.w = w, .beats = the_beats, .slot = i};
        if (pthread_create(&th[i], NULL, loop_thread, &args[i]) == 0)
            started++;
    }
    fprintf(stderr, "anas-worker: %s working for %s with %d thread(s)\n", w->id, w->url,
            started);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    beats_stop(the_beats);
    pthread_join(beat, NULL);
    fprintf(stderr, "anas-worker: %s stops after %ld evaluation(s)\n", w->id,
            atomic_load(&w->done));
    free(th);
    free(args);
    return atomic_load(&w->failed) ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct worker *w = &the_worker;
    int rc = parse(w, argc, argv);
    if (rc == 0) {
        /* One evaluation per thread, as in anasd, each with a team of
         * OPENBLAS_NUM_THREADS threads as far as the CPUs go round. */
        w->eval_threads = evalsetup_threads(w->threads);
        rc = http_global_init() < 0 ? 1 : run(w);
        http_global_cleanup();
    }
    runs_free_all();
    beats_free(the_beats);
    for (int i = 0; i < w->conf.n_data_roots; i++)
        free(w->conf.data_roots[i]);
    for (int i = 0; i < w->conf.n_model_roots; i++)
        free(w->conf.model_roots[i]);
    memset(w->token, 0, sizeof w->token);
    return rc < 0 ? 0 : rc;
}
