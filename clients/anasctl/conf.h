/* conf.h - anasctl's config file ($XDG_CONFIG_HOME/anasctl/config). */
#ifndef ANASCTL_CONF_H
#define ANASCTL_CONF_H

struct conf {
    char *url, *token; /* malloc'ed; NULL when the file does not set them */
};

int conf_load(struct conf *cf);
void conf_free(struct conf *cf);

#endif
