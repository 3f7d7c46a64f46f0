/*
 * main.c - anasctl: the command line of anasd's REST API (doc/anasctl.1).
 *
 * One options table for every command (each command lists those it takes),
 * the server and token resolved once, then the command's function.
 */
#include "config.h"

#include "anasctl.h"
#include "cmd.h"
#include "conf.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_URL "http://127.0.0.1:8080"
#define MAX_GATES 32

enum { O_URL = 256, O_TOKEN, O_JSON, O_VERSION, O_WAIT, O_UNDER, O_OVER, O_TIMEOUT,
       O_JUNIT, O_STATE, O_FOLLOW, O_FORMAT, O_REP };

static const struct option longopts[] = {
    {"url", required_argument, NULL, O_URL},
    {"token", required_argument, NULL, O_TOKEN},
    {"json", no_argument, NULL, O_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, O_VERSION},
    {"wait", no_argument, NULL, O_WAIT},
    {"fail-under", required_argument, NULL, O_UNDER},
    {"fail-over", required_argument, NULL, O_OVER},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"junit", required_argument, NULL, O_JUNIT},
    {"state", required_argument, NULL, O_STATE},
    {"follow", no_argument, NULL, O_FOLLOW},
    {"format", required_argument, NULL, O_FORMAT},
    {"rep", required_argument, NULL, O_REP},
    {"output", required_argument, NULL, 'o'},
    {NULL, 0, NULL, 0},
};

#define WAITOPTS "--fail-under M=V --fail-over M=V --timeout S --junit FILE"
static const struct command commands[] = {
    {"submit", cmd_submit, 1, "FILE|- [--wait [" WAITOPTS "]]",
     "submit a run spec (JSON; - reads stdin); --wait waits and gates like wait"},
    {"list", cmd_list, 0, "[--state STATE]", "list runs, newest first"},
    {"status", cmd_status, 1, "RUN", "show a run"},
    {"wait", cmd_wait, 1, "RUN [" WAITOPTS "]", "wait for a run to end, then check the gates"},
    {"results", cmd_results, 1, "RUN", "the run's best evaluation and summary"},
    {"best", cmd_results, 1, "RUN", "the same as results"},
    {"pareto", cmd_pareto, 1, "RUN", "the run's Pareto front"},
    {"evaluations", cmd_evaluations, 1, "RUN [--follow [--timeout S]]",
     "list a run's evaluations; --follow prints new ones until the run ends"},
    {"export", cmd_export, 1, "RUN [--format csv|json|analognas] [--rep I] [-o FILE]",
     "download the run's results"},
    {"model", cmd_model, 1, "RUN [-o FILE]",
     "download a train run's weights (safetensors; default run-RUN.safetensors)"},
    {"cancel", cmd_cancel, 1, "RUN", "cancel a queued or running run"},
    {"delete", cmd_delete, 1, "RUN", "delete a finished run and its evaluations"},
    {"spaces", cmd_spaces, 0, "", "list the search spaces"},
    {"presets", cmd_presets, 0, "", "list the analog hardware presets"},
    {"health", cmd_health, 0, "", "check that anasd answers"},
    {NULL, NULL, 0, NULL, NULL},
};

static const char global_help[] =
    "Global options: --url URL (or ANASD_URL, or url = in the config file; default "
    DEFAULT_URL ")\n"
    "  --token TOKEN (or ANASD_TOKEN, or token = in $XDG_CONFIG_HOME/anasctl/config)\n"
    "  --json (the API's JSON)  -q, --quiet  -h, --help  --version\n"
    "Exit status: 0 done (gates passed), 1 a gate failed, 2 the run failed or was\n"
    "  canceled, 3 anasd unreachable or --timeout passed, 4 anasd refused the request,\n"
    "  64 usage error.\n";

static void usage_all(FILE *f)
{
    fprintf(f, "Usage: anasctl [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
    for (const struct command *c = commands; c->name; c++)
        fprintf(f, "  %-12s %s\n", c->name, c->help);
    fprintf(f, "\n%s\nanasctl COMMAND --help describes a command; see anasctl(1).\n",
            global_help);
}

static void usage_cmd(FILE *f, const struct command *c)
{
    fprintf(f, "Usage: anasctl %s %s\n  %s\n\n%s", c->name, c->usage, c->help, global_help);
}

static int usage_error(const struct command *c, const char *msg, const char *arg)
{
    fprintf(stderr, "error: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fprintf(stderr, "Try 'anasctl %s%s--help'.\n", c ? c->name : "", c ? " " : "");
    return EX_USAGE;
}

static const struct command *find(const char *name)
{
    for (const struct command *c = commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

static int add_gate(struct args *a, const char *arg, int over)
{
    char err[160];
    if (a->n_gates == MAX_GATES)
        return usage_error(a->cmd, "too many gates", NULL);
    if (gate_parse(arg, over, &a->gates[a->n_gates], err, sizeof err) < 0)
        return usage_error(a->cmd, over ? "--fail-over" : "--fail-under", err);
    a->n_gates++;
    return 0;
}

static int parse_timeout(struct args *a, const char *s)
{
    char *end;
    double t = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(t > 0) || t > 1e8)
        return usage_error(a->cmd, "--timeout takes seconds (a number above 0)", s);
    a->timeout = t;
    return 0;
}

/* Options any command takes, and those only some do. */
static int option(struct args *a, int ch, const char *arg)
{
    switch (ch) {
    case O_URL: a->url = arg; return 0;
    case O_TOKEN: a->token = arg; return 0;
    case O_JSON: a->c.json = 1; return 0;
    case 'q': a->c.quiet = 1; return 0;
    case 'h': a->help = 1; return 0;
    case O_VERSION: a->version = 1; return 0;
    case O_WAIT: a->wait = 1; return 0;
    case O_UNDER: return add_gate(a, arg, 0);
    case O_OVER: return add_gate(a, arg, 1);
    case O_TIMEOUT: return parse_timeout(a, arg);
    case O_JUNIT: a->junit = arg; return 0;
    case O_STATE: a->state = arg; return 0;
    case O_FOLLOW: a->follow = 1; return 0;
    case O_FORMAT: a->format = arg; return 0;
    case O_REP: a->rep = arg; return 0;
    case 'o': a->output = arg; return 0;
    default: return usage_error(a->cmd, "unknown option", NULL);
    }
}

/* An option given to a command that does not take it is an error. */
static int check_options(struct args *a)
{
    const char *name = a->cmd->name;
    int waits = !strcmp(name, "wait") || (!strcmp(name, "submit") && a->wait);
    int follows = !strcmp(name, "evaluations") && a->follow;
    if (a->wait && strcmp(name, "submit"))
        return usage_error(a->cmd, "--wait is for submit", NULL);
    if ((a->n_gates || a->junit) && !waits)
        return usage_error(a->cmd, "gates and --junit need wait or submit --wait", NULL);
    if (a->timeout > 0 && !waits && !follows)
        return usage_error(a->cmd, "--timeout needs wait, submit --wait or --follow", NULL);
    if (a->state && strcmp(name, "list"))
        return usage_error(a->cmd, "--state is for list", NULL);
    if (a->follow && strcmp(name, "evaluations"))
        return usage_error(a->cmd, "--follow is for evaluations", NULL);
    if ((a->format || a->rep) && strcmp(name, "export"))
        return usage_error(a->cmd, "--format and --rep are for export", NULL);
    if (a->output && strcmp(name, "export") && strcmp(name, "model"))
        return usage_error(a->cmd, "-o is for export and model", NULL);
    return 0;
}

static int parse(struct args *a, int argc, char **argv)
{
    int ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":qho:", longopts, NULL)) != -1) {
        if (ch == '?' || ch == ':') {
            const char *bad = argv[optind - 1];
            return usage_error(a->cmd, ch == ':' ? "option needs a value" : "unknown option",
                               bad);
        }
        int rc = option(a, ch, optarg);
        if (rc)
            return rc;
    }
    for (int i = optind; i < argc; i++)
        a->pos[a->n_pos < 4 ? a->n_pos++ : 3] = argv[i];
    return 0;
}

/* The command name, early, for the hint of a usage error met while parsing:
 * the first argument that is not an option (a best guess: an option's value
 * may come first; main() looks again after parsing). */
static const struct command *command_of(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-')
            return find(argv[i]);
        if (!strcmp(argv[i], "--"))
            break;
    }
    return NULL;
}

static int resolve_server(struct args *a, struct conf *cf)
{
    if (conf_load(cf) < 0)
        return EX_USAGE;
    const char *env_url = getenv("ANASD_URL"), *env_token = getenv("ANASD_TOKEN");
    a->c.url = a->url ? a->url : env_url && *env_url ? env_url : cf->url ? cf->url : DEFAULT_URL;
    a->c.token = a->token ? a->token : env_token && *env_token ? env_token : cf->token;
    size_t n = strlen(a->c.url);
    if (strncmp(a->c.url, "http://", 7) && strncmp(a->c.url, "https://", 8))
        return usage_error(a->cmd, "the URL must start with http:// or https://", a->c.url);
    while (n > 8 && a->c.url[n - 1] == '/')
        n--;
    a->url_buf = strndup(a->c.url, n);
    a->c.url = a->url_buf;
    return a->url_buf ? 0 : EX_USAGE;
}

int main(int argc, char **argv)
{
    struct args a = {0};
    struct gate gates[MAX_GATES];
    struct conf cf = {0};
    a.gates = gates;
    a.cmd = command_of(argc, argv);
    int rc = parse(&a, argc, argv);
    if (rc)
        return rc;
    a.cmd = a.n_pos ? find(a.pos[0]) : NULL;
    if (a.version) {
        printf("anasctl %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (a.help) {
        if (a.cmd)
            usage_cmd(stdout, a.cmd);
        else
            usage_all(stdout);
        return 0;
    }
    if (a.n_pos == 0) {
        usage_all(stderr);
        return EX_USAGE;
    }
    if (!a.cmd)
        return usage_error(NULL, "unknown command", a.pos[0]);
    if (a.n_pos - 1 != a.cmd->nargs)
        return usage_error(a.cmd, a.cmd->nargs ? "expected one argument" : "expected no argument",
                           NULL);
    rc = check_options(&a);
    if (!rc)
        rc = resolve_server(&a, &cf);
    if (!rc) {
        if (a.timeout > 0)
            a.c.deadline = now_s() + a.timeout;
        if (http_init() < 0) {
            fprintf(stderr, "error: libcurl did not initialise\n");
            rc = EX_NET;
        } else {
            rc = a.cmd->fn(&a);
            http_cleanup();
        }
    }
    free(a.url_buf);
    conf_free(&cf);
    return rc;
}
