/*
 * demo: fill an empty database with the demo installation: the 澜溪区 region tree with
 * boundary polygons (4 streets, 16 communities, 96 grids tiling them exactly), departments,
 * the category taxonomy, the 2026 working calendar and one user per role.
 * Everything goes through the org and auth modules, so the demo data obeys the same rules
 * as data entered through the API, and one audit entry records the load.
 */
#ifndef GRIDLOOP_DEMO_DEMO_H
#define GRIDLOOP_DEMO_DEMO_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct store;

#define DEMO_GRID_COLS 3
#define DEMO_GRID_ROWS 2

struct demo_user {
    const char *name;
    const char *roles; /* comma-separated */
    const char *what;  /* who this account stands for */
};

extern const struct demo_user demo_users[];
extern const size_t demo_users_count;

struct demo_report {
    int regions;
    int departments;
    int categories;
    int users;
    int calendar_days;
};

/* Load the demo into an empty database (ERR_CONFLICT if it already has regions). 'key' seals
 * the accounts' phones (the database's data key). */
int demo_load(struct store *st, const char *password, const unsigned char key[32], int64_t now,
              struct demo_report *rep, struct err *err);

/*
 * Create 'n' demo cases over the fortnight before 'now' and take each as far through the loop
 * as its (pseudo-random, reproducible) stage says, through the case module with the demo
 * accounts. 'key' encrypts the citizens' phones (the database's data key).
 */
int demo_cases(struct store *st, const unsigned char key[32], int n, int64_t now, struct err *err);

/* The demo's labelled messages (demo_triage.c): message i and its category code. */
size_t demo_triage_messages_count(void);
const char *demo_triage_message(size_t i, const char **code);

/* Train the demo's triage model from its own labelled set (demo_triage.c) into 'model_path'
 * and record the training. */
int demo_triage_train(struct store *st, const char *model_path, int64_t now, struct err *err);

#endif /* GRIDLOOP_DEMO_DEMO_H */
