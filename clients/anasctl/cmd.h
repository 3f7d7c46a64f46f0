/* cmd.h - anasctl's commands (cmd.c) and the parsed command line. */
#ifndef ANASCTL_CMD_H
#define ANASCTL_CMD_H

#include "anasctl.h"

struct args;

struct command {
    const char *name;
    int (*fn)(struct args *a);
    int nargs; /* positional arguments after the name: 0 or 1 */
    const char *usage, *help;
};

struct args {
    const struct command *cmd;
    struct ctl c;
    const char *url, *token;   /* from the command line */
    char *url_buf;             /* the resolved URL, trailing slashes cut */
    const char *pos[4];        /* pos[0] is the command's name */
    int n_pos;
    int help, version, wait, follow;
    struct gate *gates;
    int n_gates;
    double timeout;
    const char *junit, *state, *format, *rep, *output;
};

int cmd_submit(struct args *a);
int cmd_list(struct args *a);
int cmd_status(struct args *a);
int cmd_wait(struct args *a);
int cmd_results(struct args *a);
int cmd_pareto(struct args *a);
int cmd_evaluations(struct args *a);
int cmd_export(struct args *a);
int cmd_model(struct args *a);
int cmd_cancel(struct args *a);
int cmd_delete(struct args *a);
int cmd_spaces(struct args *a);
int cmd_presets(struct args *a);
int cmd_health(struct args *a);

#endif
