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

struct arena;
struct attach_store;
struct err;
struct store;
struct store_conn;

#define DEMO_GRID_COLS 3
#define DEMO_GRID_ROWS 2

struct demo_user {
    const char *name;
    const char *roles; /* comma-separated */
    const char *what;  /* who this account stands for */
};

extern const struct demo_user demo_users[];
extern const size_t demo_users_count;

/* Who demo user i stands for on 'district' (NULL: 澜溪区), written into buf when it differs. */
const char *demo_user_what(size_t i, const char *district, char *buf, size_t size);

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

/* The same on a real district (docs/grid.md section 8) instead of 澜溪区: 'district' is a
 * name or code of demo_districts (demo_district_data.c), NULL for 澜溪区. */
int demo_load_district(struct store *st, const char *district, const char *password,
                       const unsigned char key[32], int64_t now, struct demo_report *rep,
                       struct err *err);

/* The demo's sensing network (demo_sensors.c): thresholds of six device types and ten devices
 * in the district's first grids, DEMO-NOISE-1 among them (noise_db above 85 breaches). In the
 * caller's transaction; demo_load runs it. */
int demo_load_sensors(struct store_conn *c, int64_t now, struct err *err);

/* The demo's data resource catalogue (demo_catalog.c, docs/data-sharing.md): four datasets of
 * different owners, grades and sharing classes, two of them with generated rows. */
int demo_load_catalog(struct store_conn *c, int64_t now, struct err *err);

/* The demo's service catalogue (demo_services.c, docs/services.md): the newborn's 出生一件事
 * bundle of five items and the 秒批 item 高龄津贴, rules over the district's code. */
int demo_load_services(struct store_conn *c, int64_t now, struct err *err);

/* The real districts' names, comma-separated, for messages. */
const char *demo_district_names(void);

/*
 * Grid workers for every grid in the database (demo_workers.c): a full-time worker on day duty
 * (08:00-20:00) per grid, and a part-time one on night duty for grids numbered 1 and 4 of their
 * community; the account grid_worker is the full-time worker of its grid. New accounts
 * (gw_<grid code>, gw_<grid code>_n) take 'password'. Runs in its own transaction with one
 * audit entry; *count receives the number of workers.
 */
int demo_grid_workers(struct store *st, const char *password, const unsigned char key[32],
                      int64_t now, int *count, struct err *err);

/*
 * A week of patrols for the real-district demo (demo_patrols.c): each full-time grid worker
 * patrols their grid on most of the 'days' days before 'now' (a sweep with a fix every 30 s),
 * through the patrol module, one patrol in 40 with a finding (a case of channel grid linked to
 * it; 'key' encrypts the case's phone), in one transaction with one audit entry.
 */
int demo_patrols(struct store *st, const unsigned char key[32], int days, int64_t now, int *patrols,
                 int64_t *fixes, int *findings, struct err *err);

/*
 * Create 'n' demo cases over the fortnight before 'now' and take each as far through the loop
 * as its (pseudo-random, reproducible) stage says, through the case module with the demo
 * accounts. 'key' encrypts the citizens' phones (the database's data key).
 */
int demo_cases(struct store *st, const unsigned char key[32], int n, int64_t now, struct err *err);
/* Mark every pending notification sent: the demo's history should not be sent by its server. */
int demo_notifications_sent(struct store_conn *c, struct err *err);

/*
 * A ladder history for the real-district demo (demo_ladder.c): a few hotline cases in the
 * community of the demo's community_official forwarded district -> street -> community by the
 * demo's officials through case_ladder_act, one escalated back with a reason and one taken on
 * by the community, and the first two patrol findings escalated by their grid worker to the
 * 社区 with a reason. Needs demo_patrols (the cases stand at its fixes). *count: the hotline
 * cases, *escalated: the findings.
 */
int demo_ladder(struct store *st, const unsigned char key[32], int64_t now, int *count,
                int *escalated, struct err *err);

/*
 * 自行处置 for the real-district demo (demo_self.c): one patrol in 37 of demo_patrols has its
 * worker handle a small matter on the spot half-way through (case_self_handle, with a before and
 * an after photo from demo_photos put in 'files'). Needs demo_patrols. *count: the cases.
 */
int demo_self_handled(struct store *st, struct attach_store *files, const unsigned char key[32],
                      int *count, struct err *err);
/* The audit hook of the demo's case actions (a case_audit_fn): ctx is the case_env, whose actor
 * and time the entry takes. */
int demo_case_audit(void *ctx, struct store_conn *c, const char *action, const char *target,
                    const char *before, const char *after, struct err *err);
/* The 自行处置 photos (demo_photos.c, generated by tools/demo/photos.c): [scene][0 before, 1 after]. */
#define DEMO_PHOTO_SCENES 2
struct demo_photo {
    const unsigned char *data;
    size_t len;
};
extern const struct demo_photo demo_photos[DEMO_PHOTO_SCENES][2];

/*
 * The demo district's standard address register (demo_register.c): roads, water and green
 * areas, buildings, address points and places of interest, generated from a fixed seed.
 * 'addresses' is about how many address points to make (0: DEMO_REGISTER_DEFAULT; 1000 ..
 * DEMO_REGISTER_MAX). Everything is allocated in the arena 'a'. Coordinates are WGS84.
 */
#define DEMO_REGISTER_DEFAULT 4000
#define DEMO_REGISTER_MAX 200000

struct demo_reg_road {
    const char *code, *name, *kind;
    const double *lonlat; /* n pairs [lon, lat]: the LineString */
    size_t n;
};

struct demo_reg_area {
    const char *code, *kind, *name;
    const double *lonlat; /* n pairs: a closed ring */
    size_t n;
};

struct demo_reg_building {
    const char *code, *compound, *number, *use;
    int floors;
    double box[4]; /* the footprint: min_lon, min_lat, max_lon, max_lat */
};

struct demo_reg_point {
    const char *code;
    int road; /* index into roads, or -1 (a building unit) */
    const char *house_no, *compound, *building, *unit;
    int building_ix; /* index into buildings, or -1 */
    double lon, lat;
    const char *address; /* the standard written form: 锦绣路88号, 锦绣花园3幢2单元 */
};

struct demo_reg_place {
    const char *code, *name, *type;
    int point;           /* index into points (its address), or -1 (a bus stop, a metro station) */
    const char *address; /* the point's, or the crossing's (锦绣路与安康路交叉口) */
    double lon, lat;
};

struct demo_reg {
    struct demo_reg_road *roads;
    size_t nroads;
    struct demo_reg_area *areas;
    size_t nareas;
    struct demo_reg_building *buildings;
    size_t nbuildings;
    struct demo_reg_point *points;
    size_t npoints;
    struct demo_reg_place *places;
    size_t nplaces;
};

int demo_reg_generate(struct arena *a, int addresses, struct demo_reg *out, struct err *err);

/* The same street plan laid over another frame (bbox: min_lon, min_lat, max_lon, max_lat),
 * e.g. a real district's envelope (docs/grid.md section 8). */
int demo_reg_generate_in(struct arena *a, int addresses, const double bbox[4], struct demo_reg *out,
                         struct err *err);

struct demo_register_report {
    int roads, areas, buildings, points, places;
};

/* Generate the register (about 'addresses' address points, 0: the default) and write it
 * through the register's writers (addr.h) in one transaction with its audit entry. The demo
 * regions must be loaded (demo_load): every point is resolved to its grid. */
int demo_register(struct store *st, int addresses, int64_t now, struct demo_register_report *rep,
                  struct err *err);

/* The demo's labelled messages (demo_triage.c): message i and its category code. */
size_t demo_triage_messages_count(void);
const char *demo_triage_message(size_t i, const char **code);

/* Train the demo's triage model from its own labelled set (demo_triage.c) into 'model_path'
 * and record the training. */
int demo_triage_train(struct store *st, const char *model_path, int64_t now, struct err *err);

#endif /* GRIDLOOP_DEMO_DEMO_H */
