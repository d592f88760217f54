/*
 * Tests for patrol's geometry: the distance of two fixes and the coverage of a grid by tracks
 * (geo_coverage, which the patrol coverage is made of).
 */
#include <math.h>
#include <stdlib.h>

#include "core/err.h"
#include "geo/geo.h"
#include "patrol/patrol.h"
#include "test.h"

/* A 1 km x 1 km square near Hangzhou (degrees from the frame's metres per degree). */
#define LAT0 30.0
#define LON0 120.0
#define DLAT (1000.0 / 110574.0)
#define DLON (1000.0 / (111320.0 * 0.86602540378))

static const char *square(char *buf, size_t n)
{
    snprintf(buf, n,
             "{\"type\":\"Polygon\",\"coordinates\":[[[%.10f,%.10f],[%.10f,%.10f],[%.10f,%.10f],"
             "[%.10f,%.10f],[%.10f,%.10f]]]}",
             LON0, LAT0, LON0 + DLON, LAT0, LON0 + DLON, LAT0 + DLAT, LON0, LAT0 + DLAT, LON0,
             LAT0);
    return buf;
}

TEST(patrol_distance_is_great_circle)
{
    /* One degree of latitude is about 111.2 km on the mean sphere. */
    double d = patrol_distance_m(30.0, 120.0, 31.0, 120.0);
    CHECK(fabs(d - 111195.0) < 10, "1 degree of latitude: %f", d);
    CHECK(patrol_distance_m(30.0, 120.0, 30.0, 120.0) == 0, "same point");
    double e = patrol_distance_m(30.0, 120.0, 30.0, 120.001);
    CHECK(fabs(e - 96.3) < 0.5, "0.001 degree of longitude at 30N: %f", e);
}

TEST(patrol_coverage_of_a_band_across_a_square)
{
    char g[512];
    struct err err = {0};
    double share = -1;
    /* The middle line, edge to edge, 50 m each side: a 100 m band of a 1 km square. */
    double seg[4] = {LON0 - DLON * 0.1, LAT0 + DLAT / 2, LON0 + DLON * 1.1, LAT0 + DLAT / 2};
    CHECK_INT_EQ(geo_coverage(square(g, sizeof(g)), seg, 1, 50, &share, &err), 0, "%s", err.msg);
    CHECK(fabs(share - 0.1) < 0.005, "band share %f", share);
    /* A lone fix in the middle: a disc of 50 m radius (pi * 2500 m2 of 1e6). */
    double pt[4] = {LON0 + DLON / 2, LAT0 + DLAT / 2, LON0 + DLON / 2, LAT0 + DLAT / 2};
    CHECK_INT_EQ(geo_coverage(g, pt, 1, 50, &share, &err), 0, "%s", err.msg);
    CHECK(fabs(share - M_PI * 2500 / 1e6) < 0.0005, "disc share %f", share);
    /* Far away: nothing; no tracks: nothing; everything: 1. */
    double far[4] = {LON0 + 1, LAT0 + 1, LON0 + 1.001, LAT0 + 1};
    CHECK_INT_EQ(geo_coverage(g, far, 1, 50, &share, &err), 0, "%s", err.msg);
    CHECK(share == 0, "far share %f", share);
    CHECK_INT_EQ(geo_coverage(g, NULL, 0, 50, &share, &err), 0, "%s", err.msg);
    CHECK(share == 0, "no tracks");
    CHECK_INT_EQ(geo_coverage(g, pt, 1, 5000, &share, &err), 0, "%s", err.msg);
    CHECK(fabs(share - 1) < 1e-9, "all %f", share);
    /* A bad area is the caller's input. */
    CHECK_INT_EQ(geo_coverage("{\"type\":\"Point\"}", pt, 1, 50, &share, &err), ERR_BAD_REQUEST,
                 "not an area");
}
