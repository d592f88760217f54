/*
 * demo_data: the fixed content of the demo installation, as plain read-only tables.
 * demo.c turns these into organisation records through the org module.
 * Everything here is invented or written from public 12345 / 数字城管 practice; none of it
 * is copied from the shared data sets.
 */
#ifndef GRIDLOOP_DEMO_DEMO_DATA_H
#define GRIDLOOP_DEMO_DEMO_DATA_H

#include <stddef.h>

struct demo_department {
    const char *code;        /* short stable code, e.g. "CGJ" */
    const char *name;        /* e.g. "区城市管理局" */
    const char *parent_code; /* NULL for top level */
    const char *phone;       /* office phone (invented) */
};

struct demo_category {
    const char *code; /* hierarchical: "01", "0103", "010305" */
    const char *name;
    const char *dept_code; /* default lead department (struct demo_department.code) */
    const char *urgency;   /* "normal", "urgent" or "emergency" */
    int sla_sign;          /* limits; unit below */
    int sla_reply;
    int sla_resolve;
    const char *sla_unit; /* "work_hours", "work_days" or "hours" */
    const char *keywords; /* space-separated hints a classifier or a human can use */
};

struct demo_street {
    const char *name;           /* e.g. "青石街道" */
    const char *communities[4]; /* four community or village names */
};

extern const char demo_district_name[];
extern const char demo_district_code[];    /* GB/T 2260-style six digits */
extern const double demo_district_bbox[4]; /* min_lon, min_lat, max_lon, max_lat (WGS84) */

extern const struct demo_street demo_streets[4];

extern const struct demo_department demo_departments[];
extern const size_t demo_departments_count;

/* Ordered so that every parent comes before its children. */
extern const struct demo_category demo_categories[];
extern const size_t demo_categories_count;

#endif /* GRIDLOOP_DEMO_DEMO_DATA_H */
