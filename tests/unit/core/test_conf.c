#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/err.h"
#include "test.h"

static char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

TEST(conf_defaults_are_valid)
{
    struct conf c;
    conf_defaults(&c);
    CHECK_STR_EQ(c.listen, "127.0.0.1:8080", "default listen");
    CHECK_INT_EQ(c.max_body_bytes, 1048576, "default body limit is 1 MiB");
    CHECK_INT_EQ(c.access_log, 1, "access log on by default");
    conf_release(&c);
}

/* default < file < environment < command line, each layer overriding only what it sets. */
TEST(conf_precedence)
{
    struct conf c;
    struct err e = ERR_INIT;
    char *path =
        write_file("p.conf", "# comment\nlisten = 127.0.0.1:1111\nthreads = 3\nweb = \"/srv/web\"\n"
                             "max_body_bytes = 2048 # trailing comment\n");
    char a0[] = "gridloop", a1[] = "serve", a2[] = "--config", a4[] = "--listen",
         a5[] = "127.0.0.1:3333", a6[] = "--access-log", a7[] = "false", a8[] = "extra";
    char *argv[] = {a0, a1, a2, path, a4, a5, a6, a7, a8, NULL};
    int argc = 9;
    setenv("GRIDLOOP_LISTEN", "127.0.0.1:2222", 1);
    setenv("GRIDLOOP_THREADS", "5", 1);
    conf_defaults(&c);
    CHECK_INT_EQ(conf_load(&c, &argc, argv, &e), 0, "load: %s", e.msg);
    CHECK_STR_EQ(c.listen, "127.0.0.1:3333", "flag beats env and file");
    CHECK_INT_EQ(c.threads, 5, "env beats file");
    CHECK_STR_EQ(c.web, "/srv/web", "file beats default, quotes removed");
    CHECK_INT_EQ(c.max_body_bytes, 2048, "file value with trailing comment");
    CHECK_INT_EQ(c.access_log, 0, "bool flag");
    CHECK_STR_EQ(c.db, "var/gridloop.db", "untouched default");
    CHECK_INT_EQ(argc, 3, "non-setting arguments remain");
    CHECK_STR_EQ(argv[2], "extra", "order kept");
    unsetenv("GRIDLOOP_LISTEN");
    unsetenv("GRIDLOOP_THREADS");
    conf_release(&c);
}

TEST(conf_rejects_bad_values)
{
    static const struct {
        const char *file;
        const char *want_field;
    } rows[] = {
        {"threads = many\n", "threads"},
        {"threads = 100000\n", "threads"},
        {"access_log = maybe\n", "access_log"},
        {"assess_k = 0.9\n", "assess_k"}, /* per mille: 900 */
        {"assess_weight_solve = 1001\n", "assess_weight_solve"},
        {"no_such_setting = 1\n", "no_such_setting"},
        {"just a line\n", ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct conf c;
        struct err e = ERR_INIT;
        conf_defaults(&c);
        char *path = write_file("bad.conf", rows[i].file);
        CHECK_INT_EQ(conf_load_file(&c, path, &e), ERR_BAD_REQUEST, "row %zu", i);
        CHECK_STR_EQ(e.field, rows[i].want_field, "row %zu: %s", i, e.msg);
        CHECK(strstr(e.msg, "bad.conf:1") != NULL, "row %zu: message names file and line: %s", i,
              e.msg);
        conf_release(&c);
    }
}

TEST(conf_every_setting_has_help_and_valid_default)
{
    for (const struct conf_setting *s = conf_settings; s->name; s++) {
        struct conf c;
        struct err e = ERR_INIT;
        conf_defaults(&c);
        CHECK(s->help && *s->help, "setting %s has help", s->name);
        CHECK_INT_EQ(conf_set(&c, s->name, s->def, "test", &e), 0, "default of %s: %s", s->name,
                     e.msg);
        conf_release(&c);
    }
}

/* The commented example in conf/ must stay complete and loadable. */
TEST(conf_example_file_matches_table)
{
    struct conf c;
    struct err e = ERR_INIT;
    const char *path = GRIDLOOP_SOURCE_DIR "/conf/gridloop.conf.example";
    FILE *f = fopen(path, "r");
    static char text[65536];
    size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    CHECK(n > 0, "example file readable at %s", path);
    for (const struct conf_setting *s = conf_settings; s->name; s++) {
        char line[128];
        snprintf(line, sizeof(line), "\n%s = %s\n", s->name, s->def);
        if (strcmp(s->name, "config") != 0)
            CHECK(strstr(text, line) != NULL, "example sets '%s' to its default '%s'", s->name,
                  s->def);
    }
    conf_defaults(&c);
    CHECK_INT_EQ(conf_load_file(&c, path, &e), 0, "example loads: %s", e.msg);
    conf_release(&c);
}
