/* Shared by the files of the catalog module. */
#ifndef GRIDLOOP_CATALOG_CATALOG_INTERNAL_H
#define GRIDLOOP_CATALOG_CATALOG_INTERNAL_H
#include "catalog/catalog.h"

int catalog_in_list(const char *v, const char *const *list);

/* A scan in progress: its region scope (NULL = all), its limit and the caller's callback. */
struct catalog_scan {
    const char *scope_code;
    size_t limit, seen;
    catalog_row_fn cb;
    void *ud;
    int rc; /* the callback's failure */
};
/* Pass one row to s->cb, answering as a store row function: 0 go on, 1 stop, < 0 failed. */
int catalog_scan_emit(struct catalog_scan *s, int64_t row_no, int64_t region_id,
                      const char *const *values, size_t n);

/* catalog_rows_scan() for a gridloop source (catalog_source.c). */
int catalog_source_scan(struct store_conn *c, const struct catalog_dataset *d,
                        struct catalog_scan *s, int64_t after_row, struct err *err);

/* The region tree, for region fields and addresses (catalog_import.c). */
struct region_ent;
struct catalog_regions {
    struct region_ent *v; /* by code */
    size_t n;
    struct region_ent **byname; /* n, by name */
    struct region_ent **areas;  /* the streets and communities, which addresses name */
    size_t nareas;
};
int catalog_regions_load(struct store_conn *c, struct arena *a, struct catalog_regions *out,
                         struct err *err);
/* A region field's value (a code or a name) or an address: the region, 0 when none. */
int64_t catalog_region_of_value(const struct catalog_regions *r, const char *v);
int64_t catalog_region_of_address(const struct catalog_regions *r, const char *v);

#endif /* GRIDLOOP_CATALOG_CATALOG_INTERNAL_H */
