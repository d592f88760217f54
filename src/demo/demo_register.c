/*
 * demo_register: the demo district's standard address register (标准地址库), generated.
 *
 * A plausible 澜溪区 built from a fixed seed, so every `gridloop init --demo` makes the same
 * register and tests can name its addresses (锦绣路88号, 锦绣花园3幢2单元):
 *   - roads: a slightly jittered lattice of trunk, primary and secondary roads (each line
 *     named in two parts that meet at the central trunk, as real roads change names at a
 *     major crossing), a diagonal avenue (迎宾大道), a curved road along the river (滨河路),
 *     runs of branch roads (支路) through the blocks, and footpaths (a greenway along the
 *     river, a loop round the lake);
 *   - water (the 澜溪 river across the district, 明湖 lake) and green areas (parks, the
 *     riverside belt);
 *   - house numbers along every road but the footpaths: odd on the left, even on the right,
 *     rising along the road with the distance from its start (one number pair per slot of a
 *     few metres, as 门牌 are given), points set back from the road line;
 *   - residential compounds (小区) with buildings in rows (楼栋 1幢..., 单元 1单元...,
 *     floors) and an address point per building unit;
 *   - places of interest of every type of the register's CHECK list, the community
 *     facilities deliberately missing from a few rural communities (so the 15-minute circle's
 *     "communities lacking a facility" finds something real), bus stops at the crossings of
 *     the main roads and metro stations along the trunk.
 *
 * THE ROADS MEET AT SHARED VERTICES: the walking graph of the 15-minute circle is built from
 * these road geometries and joins two roads only where they have a vertex in common. The
 * lattice and branch roads are built through common points (lattice nodes, edge midpoints,
 * block centres); every other crossing or T-junction is found afterwards (junctions()) and
 * the one computed point is inserted into both roads, so both carry the same double and so
 * the same printed coordinate. Dangling ends of the curved roads are trimmed back to their
 * first and last junction. demo_reg_generate's caller can check it: every road shares a
 * vertex with the network (tests/unit/demo/test_demo_register.c).
 *
 * Geometry is computed in metres on a plane (x east, y north from the district's south-west
 * corner) and converted to WGS84 at the end: at 30.2 N a degree of longitude is about
 * 96.2 km and one of latitude 110.9 km, as in demo_data.c.
 *
 * Size: 'addresses' (about; DEMO_REGISTER_DEFAULT when 0) scales the buildings per compound
 * and the house-number spacing; the road network, water, green areas and places stay the
 * same, so a benchmark's register of 100,000 addresses is the demo's district made dense.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
#include "audit/audit.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "demo/demo.h"
#include "demo/demo_data.h"
#include "geo/geo.h"
#include "org/org.h"
#include "store/store.h"

#define MLON 96200.0 /* metres per degree of longitude at 30.2 N (澜溪区) */
#define MLAT 110900.0
#define NX 9 /* north-south lattice lines */
#define NY 7 /* east-west lattice lines */
#define TRUNK_X 4
#define TRUNK_Y 3
#define JITTER 45.0
#define RIVER_HALF 25.0 /* half the river's width */
#define EPS 0.05        /* metres: two points closer than this are one junction */
#define GATE (-2)       /* a place whose address is the house number nearest to it */

struct pt {
    double x, y;
};
typedef VEC(struct pt) pts_t;

struct road {
    const char *name, *kind;
    pts_t p;
    int trim;
};

struct box {
    double x0, y0, x1, y1;
};

struct area {
    const char *kind, *name;
    pts_t p; /* closed ring */
};

/* A lot: a piece of a block between roads, holding a compound, a park or a public site. */
struct lot {
    struct box b;
    int community; /* 0..15, street * 4 + community */
    int used;
    uint64_t order;
};

struct ins {
    size_t road, seg;
    double t;
    struct pt p;
};

typedef VEC(struct road) roads_t;
typedef VEC(struct area) areas_t;
typedef VEC(struct lot) lots_t;
typedef VEC(struct demo_reg_building) blds_t;
typedef VEC(struct demo_reg_point) points_t;
typedef VEC(struct demo_reg_place) places_t;

struct gen {
    struct arena *a;
    double w, h;
    double bbox[4];    /* the frame: min_lon, min_lat, max_lon, max_lat */
    double mlon, mlat; /* metres per degree there */
    struct pt node[NX][NY], mns[NX][NY], mew[NX][NY];
    roads_t roads;
    areas_t areas;
    lots_t lots;
    blds_t blds;
    points_t points;
    places_t places;
    pts_t ppos;       /* points in metres, parallel to 'points' */
    int *pcomm;       /* the community of each point, once the points are made */
    struct box *rbox; /* each road's bounding box, once the roads are final */
    int pool;         /* compound names taken from the pool */
    double density;   /* 1 = the default demo */
    struct pt lake_c;
    double lake_rx, lake_ry;
};

/* ---- numbers ---------------------------------------------------------------------------- */

static uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A fixed pseudo-random number in [0, 1) for a tuple: the same tuple, the same number, in
 * whatever order the generator asks. */
static double h01(uint64_t a, uint64_t b, uint64_t c)
{
    return (double)(mix(mix(mix(a) ^ b) ^ c) >> 11) / 9007199254740992.0;
}

static int hint(uint64_t a, uint64_t b, uint64_t c, int n)
{
    return (int)(h01(a, b, c) * n);
}

static struct pt P(double x, double y) {
    return (struct pt){x, y};
}

static struct pt
mid(struct pt a, struct pt b)
{
    return P((a.x + b.x) / 2, (a.y + b.y) / 2);
}

static double dist(struct pt a, struct pt b)
{
    return hypot(a.x - b.x, a.y - b.y);
}

static double dist_seg(struct pt p, struct pt a, struct pt b)
{
    double dx = b.x - a.x, dy = b.y - a.y, l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return dist(p, P(a.x + t * dx, a.y + t * dy));
}

/* Where segments ab and cd cross: 1 with t along ab and u along cd (each within 0..1 give or
 * take EPS metres, so a T-junction counts), 0 if they do not (parallel ones never do). */
static int cross(struct pt a, struct pt b, struct pt c, struct pt d, double *t, double *u)
{
    double rx = b.x - a.x, ry = b.y - a.y, sx = d.x - c.x, sy = d.y - c.y;
    double den = rx * sy - ry * sx;
    double lr = hypot(rx, ry), ls = hypot(sx, sy);
    if (lr == 0 || ls == 0 || fabs(den) < 1e-9 * lr * ls)
        return 0;
    *t = ((c.x - a.x) * sy - (c.y - a.y) * sx) / den;
    *u = ((c.x - a.x) * ry - (c.y - a.y) * rx) / den;
    double et = EPS / lr, eu = EPS / ls;
    return *t >= -et && *t <= 1 + et && *u >= -eu && *u <= 1 + eu;
}

static int in_ring(const pts_t *r, struct pt p)
{
    int in = 0;
    for (size_t i = 0, j = r->n - 1; i < r->n; j = i++) {
        struct pt a = r->v[i], b = r->v[j];
        if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x)
            in = !in;
    }
    return in;
}

static int in_box(struct box b, struct pt p)
{
    return p.x >= b.x0 && p.x <= b.x1 && p.y >= b.y0 && p.y <= b.y1;
}

/* Shortest distance from segment ab to box b (0 when they touch). */
static double dist_seg_box(struct pt a, struct pt b, struct box x)
{
    struct pt c[4] = {P(x.x0, x.y0), P(x.x1, x.y0), P(x.x1, x.y1), P(x.x0, x.y1)};
    double t, u, d = 1e18;
    if (in_box(x, a) || in_box(x, b))
        return 0;
    for (int i = 0; i < 4; i++) {
        if (cross(a, b, c[i], c[(i + 1) % 4], &t, &u))
            return 0;
        double e = dist_seg(c[i], a, b);
        d = e < d ? e : d;
    }
    for (int i = 0; i < 4; i++) {
        double e = dist_seg(a, c[i], c[(i + 1) % 4]), f = dist_seg(b, c[i], c[(i + 1) % 4]);
        d = e < d ? e : d;
        d = f < d ? f : d;
    }
    return d;
}

/* ---- the plan ---------------------------------------------------------------------------- */

static double river_y(const struct gen *g, double x)
{
    return g->h * 0.576 + 170 * sin(2 * M_PI * x / 3200 + 0.6);
}

static int community_of(const struct gen *g, struct pt p)
{
    int cx = (int)(p.x / (g->w / 4)), cy = (int)(p.y / (g->h / 4));
    cx = cx < 0 ? 0 : cx > 3 ? 3 : cx;
    cy = cy < 0 ? 0 : cy > 3 ? 3 : cy;
    int s = cx / 2 + 2 * (cy / 2), c = cx % 2 + 2 * (cy % 2);
    return s * 4 + c;
}

static const char *community_name(int k)
{
    return demo_streets[k / 4].communities[k % 4];
}

/* "青石社区" -> "青石", "松岭村" -> "松岭". */
static const char *community_base(struct arena *a, int k)
{
    const char *n = community_name(k);
    size_t len = strlen(n);
    if (len > 6 && strcmp(n + len - 6, "社区") == 0)
        return arena_strndup(a, n, len - 6);
    if (len > 3 && strcmp(n + len - 3, "村") == 0)
        return arena_strndup(a, n, len - 3);
    return n;
}

static int rural(int k)
{
    return k >= 12;
}

/* clang-format off */
/* Lattice road names: north-south line i, south part then north part (the trunk is whole);
 * east-west line j, west part then east part. Invented, in the manner of 浙江 streets. */
static const char *const ns_names[NX][2] = {
    {"青石路", "白鹭路"}, {"桂香路", "星光路"}, {"明湖路", "文澜路"}, {"澄园路", "学府路"},
    {"澜溪大道", "澜溪大道"}, {"柳湾路", "松岭路"}, {"竹韵路", "石桥路"}, {"锦绣路", "茶园路"},
    {"南塘路", "枫林路"},
};
static const char *const ew_names[NY][2] = {
    {"望江路", "钱塘路"}, {"春晖路", "安康路"}, {"凤起路", "丰乐路"}, {"澜溪中路", "澜溪中路"},
    {"德胜路", "兴业路"}, {"香樟路", "银杏路"}, {"玉泉路", "龙井路"},
};
/* Branch roads and lanes take their names from here, in order. */
static const char *const branch_words[] = {
    "紫荆", "海棠", "玉兰", "丹桂", "翠柏", "芙蓉", "杜鹃", "茉莉", "兰亭", "鉴湖",
    "秀水", "东湖", "仁和", "惠民", "永安", "吉祥", "康乐", "长乐", "和睦", "新塘",
    "梅花", "荷花", "桃源", "杏坛", "书香", "墨池", "潮鸣", "观澜", "听涛", "云栖",
    "溪岸", "渔舟", "晓风", "晴川", "锦溪", "沈塘", "湖墅", "上塘", "古荡", "花港",
    "蒋家", "王家", "陈家", "徐家", "俞家", "朱家", "施家", "杨柳", "青莲", "白沙",
};
static const char *const branch_suffix[] = {"街", "巷", "弄", "路"};

/* Compound names: the first compound of each community, then pool words with suffixes. */
static const char *const first_compound[16] = {
    "青石苑", "明湖花园", "桂香园", "澄园小区", "柳湾新村", "锦绣花园", "竹韵府", "南塘家园",
    "白鹭郡", "滨河名苑", "星光公寓", "学府雅苑", "松岭新村", "茶园新村", "石桥新村", "枫林新村",
};
static const char *const compound_words[] = {
    "阳光", "翠苑", "嘉禾", "紫金", "春江", "秋水", "望湖", "天韵", "景福", "祥符",
    "新湖", "丽水", "兰苑", "桃花", "梅苑", "荷塘", "云溪", "璟园", "悦湖", "雍景",
    "华庭", "星河", "湖畔", "绿洲", "金桂", "银湖", "翡翠", "东方", "西溪", "南山",
    "北辰", "中天", "龙湖", "凤凰", "锦江", "玉泉", "清风", "明月", "朝晖", "晨光",
};
static const char *const compound_suffix[] = {
    "花园", "苑", "家园", "府", "公寓", "小区", "名邸", "雅园", "新村", "华庭",
};

/* Per community (0..15: 青石 明湖 桂香 澄园 | 柳湾 锦绣 竹韵 南塘 | 白鹭 滨河 星光 学府 |
 * 松岭村 茶园村 石桥村 枫林村) how many of each facility at a house number, spread over the
 * community (street_facilities). A community is about 2 km x 1.5 km and a 15-minute walk
 * 1 km along the roads, so a town community has three of each everyday facility and most of
 * its addresses reach one. The gaps are deliberate: 南塘社区 has no elderly care and 明湖社区
 * no market; the rural north-east has few: 枫林村 has no clinic, and no kindergarten,
 * pharmacy or elderly care lies near 茶园村 or 枫林村. */
static const struct {
    const char *type;
    const char *per[16];
} on_street[] = {
    {"kindergarten",     {"3","3","3","3", "3","3","3","3", "3","3","3","3", "2","0","1","0"}},
    {"clinic",           {"3","3","3","3", "3","3","3","3", "3","3","3","3", "2","1","1","0"}},
    {"pharmacy",         {"3","3","3","3", "3","3","3","3", "3","3","3","3", "2","0","0","0"}},
    {"market",           {"2","0","2","2", "2","2","2","2", "2","2","2","2", "1","0","0","0"}},
    {"supermarket",      {"3","3","3","3", "3","3","3","3", "3","3","3","3", "1","0","0","0"}},
    {"community_centre", {"1","1","1","1", "1","1","1","1", "1","1","1","1", "1","1","1","1"}},
    {"elderly_care",     {"3","3","3","3", "3","3","3","0", "3","3","3","3", "2","0","1","0"}},
    {"police",           {"1","0","0","1", "1","0","1","0", "1","0","0","1", "1","0","0","0"}},
    {"government",       {"1","0","0","0", "1","0","0","0", "1","0","0","0", "1","0","0","0"}},
    {"sports",           {"0","0","1","0", "0","1","0","0", "1","0","0","0", "1","0","0","0"}},
    {"library",          {"0","0","0","0", "1","0","0","0", "0","0","0","0", "1","0","0","0"}},
    {"toilet",           {"3","3","3","3", "3","3","3","3", "3","3","3","3", "1","1","1","1"}},
    {"other",            {"1","0","1","0", "1","0","1","0", "1","0","1","0", "1","0","0","0"}},
};

/* Facilities that take a lot of their own (a building in its grounds). */
static const struct {
    const char *type, *name; /* name: "%s" is the community's base name, or a fixed name */
    int community;
} on_lot[] = {
    {"government", "澜溪区人民政府", 11},
    {"government", "澜溪区政务服务中心", 10},
    {"hospital", "澜溪区人民医院", 11},
    {"hospital", "澜溪区中医院", 3},
    {"hospital", "澜溪区妇幼保健院", 4},
    {"library", "澜溪区图书馆", 9},
    {"sports", "澜溪区体育中心", 6},
    {"school", "澜溪区%s小学", 0},
    {"school", "澜溪区%s小学", 2},
    {"school", "澜溪区%s中学", 3},
    {"school", "澜溪区%s小学", 4},
    {"school", "澜溪区%s实验学校", 5},
    {"school", "澜溪区%s中学", 7},
    {"school", "澜溪区%s小学", 8},
    {"school", "澜溪区%s小学", 9},
    {"school", "澜溪区%s中学", 11},
    {"school", "澜溪区%s第二小学", 11},
    {"school", "松岭镇中心小学", 12},
    {"park", "%s公园", 2},
    {"park", "%s公园", 6},
    {"park", "%s公园", 10},
    {"park", "%s生态公园", 13},
    {"market", "澜溪区农副产品批发市场", 14},
};
/* clang-format on */

static void add_point(pts_t *v, struct pt p)
{
    if (v->n == 0 || v->v[v->n - 1].x != p.x || v->v[v->n - 1].y != p.y)
        vec_append(v, p);
}

static struct road *new_road(struct gen *g, const char *name, const char *kind)
{
    struct road *r = vec_push(&g->roads);
    r->name = name;
    r->kind = kind;
    r->p = (pts_t)VEC_IN(g->a);
    return r;
}

static struct area *new_area(struct gen *g, const char *kind, const char *name)
{
    struct area *ar = vec_push(&g->areas);
    ar->kind = kind;
    ar->name = name;
    ar->p = (pts_t)VEC_IN(g->a);
    return ar;
}

static int in_water(const struct gen *g, struct pt p, double margin)
{
    if (fabs(p.y - river_y(g, p.x)) <= RIVER_HALF + margin)
        return 1;
    double ex = (p.x - g->lake_c.x) / (g->lake_rx + margin),
           ey = (p.y - g->lake_c.y) / (g->lake_ry + margin);
    return ex * ex + ey * ey <= 1;
}

static int in_area(const struct gen *g, struct pt p)
{
    for (size_t i = 0; i < g->areas.n; i++)
        if (in_ring(&g->areas.v[i].p, p))
            return 1;
    return 0;
}

/* Does segment ab touch water (sampled every 10 m)? */
static int seg_wet(const struct gen *g, struct pt a, struct pt b)
{
    int n = (int)(dist(a, b) / 10) + 1;
    for (int k = 0; k <= n; k++)
        if (in_water(g, P(a.x + (b.x - a.x) * k / n, a.y + (b.y - a.y) * k / n), 5))
            return 1;
    return 0;
}

static void lattice(struct gen *g)
{
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++) {
            double x = 200 + i * (g->w - 400) / (NX - 1), y = 180 + j * (g->h - 360) / (NY - 1);
            /* The trunk lines stay straight; the others wander a little. */
            if (i != TRUNK_X)
                x += (h01(1, i, j) - 0.5) * 2 * JITTER;
            if (j != TRUNK_Y)
                y += (h01(2, i, j) - 0.5) * 2 * JITTER;
            g->node[i][j] = P(x, y);
        }
    for (int i = 0; i < NX; i++)
        for (int j = 0; j + 1 < NY; j++)
            g->mns[i][j] = mid(g->node[i][j], g->node[i][j + 1]);
    for (int j = 0; j < NY; j++)
        for (int i = 0; i + 1 < NX; i++)
            g->mew[i][j] = mid(g->node[i][j], g->node[i + 1][j]);
}

static const char *lattice_kind(int i, int is_ns)
{
    if ((is_ns && i == TRUNK_X) || (!is_ns && i == TRUNK_Y))
        return "trunk";
    if (is_ns ? (i == 2 || i == 6 || i == 7) : (i == 1 || i == 5))
        return "primary";
    return "secondary";
}

static void lattice_roads(struct gen *g)
{
    for (int i = 0; i < NX; i++) {
        int whole = i == TRUNK_X;
        for (int part = 0; part < (whole ? 1 : 2); part++) {
            int j0 = whole ? 0 : part ? TRUNK_Y : 0, j1 = whole ? NY - 1 : part ? NY - 1 : TRUNK_Y;
            struct road *r = new_road(g, ns_names[i][part], lattice_kind(i, 1));
            for (int j = j0; j <= j1; j++) {
                add_point(&r->p, g->node[i][j]);
                if (j < j1)
                    add_point(&r->p, g->mns[i][j]);
            }
        }
    }
    for (int j = 0; j < NY; j++) {
        int whole = j == TRUNK_Y;
        for (int part = 0; part < (whole ? 1 : 2); part++) {
            int i0 = whole ? 0 : part ? TRUNK_X : 0, i1 = whole ? NX - 1 : part ? NX - 1 : TRUNK_X;
            struct road *r = new_road(g, ew_names[j][part], lattice_kind(j, 0));
            for (int i = i0; i <= i1; i++) {
                add_point(&r->p, g->node[i][j]);
                if (i < i1)
                    add_point(&r->p, g->mew[i][j]);
            }
        }
    }
}

/* Block (i, j) between lattice lines i..i+1 and j..j+1: the lake's block holds the lake. */
static int lake_block(int i, int j)
{
    return i == 2 && j == 0;
}

static struct pt block_centre(const struct gen *g, int i, int j)
{
    struct pt a = g->mns[i][j], b = g->mns[i + 1][j], c = g->mew[i][j], d = g->mew[i][j + 1];
    return P((a.x + b.x + c.x + d.x) / 4, (a.y + b.y + c.y + d.y) / 4);
}

static const char *branch_name(struct gen *g, int *k)
{
    int n = (int)(sizeof(branch_words) / sizeof(branch_words[0]));
    int w = *k % n, s = (*k / n + *k) % 4;
    (*k)++;
    return arena_printf(g->a, "%s%s", branch_words[w], branch_suffix[s]);
}

/* Runs of branch roads through consecutive blocks: a north-south one through the midpoints
 * of the east-west edges and the block centres, an east-west one likewise; a block leaves its
 * branch out at random, where it would cross water, and in the lake's block. */
static void branch_roads(struct gen *g)
{
    int k = 0;
    for (int i = 0; i + 1 < NX; i++) {
        struct road *r = NULL;
        for (int j = 0; j + 1 < NY; j++) {
            struct pt c = block_centre(g, i, j);
            int ok = !lake_block(i, j) && h01(3, i, j) > 0.22 && !seg_wet(g, g->mew[i][j], c) &&
                     !seg_wet(g, c, g->mew[i][j + 1]);
            if (!ok) {
                r = NULL;
                continue;
            }
            if (!r)
                r = new_road(g, branch_name(g, &k), "branch");
            add_point(&r->p, g->mew[i][j]);
            add_point(&r->p, c);
            add_point(&r->p, g->mew[i][j + 1]);
        }
    }
    for (int j = 0; j + 1 < NY; j++) {
        struct road *r = NULL;
        for (int i = 0; i + 1 < NX; i++) {
            struct pt c = block_centre(g, i, j);
            int ok = !lake_block(i, j) && h01(4, i, j) > 0.22 && !seg_wet(g, g->mns[i][j], c) &&
                     !seg_wet(g, c, g->mns[i + 1][j]);
            if (!ok) {
                r = NULL;
                continue;
            }
            if (!r)
                r = new_road(g, branch_name(g, &k), "branch");
            add_point(&r->p, g->mns[i][j]);
            add_point(&r->p, c);
            add_point(&r->p, g->mns[i + 1][j]);
        }
    }
}

static void water_and_green(struct gen *g)
{
    /* The lake fills the middle of its block, the park the rest of it. */
    struct pt c = block_centre(g, 2, 0);
    double bw = g->node[3][0].x - g->node[2][0].x, bh = g->node[2][1].y - g->node[2][0].y;
    g->lake_c = c;
    g->lake_rx = bw * 0.28;
    g->lake_ry = bh * 0.26;
    struct area *lake = new_area(g, "water", "明湖");
    for (int k = 0; k < 48; k++) {
        double a = 2 * M_PI * k / 48;
        vec_append(&lake->p, P(c.x + g->lake_rx * cos(a), c.y + g->lake_ry * sin(a)));
    }
    vec_append(&lake->p, lake->p.v[0]);

    struct area *river = new_area(g, "water", "澜溪");
    for (double x = 0; x <= g->w + 1e-6; x += 40)
        vec_append(&river->p, P(x < g->w ? x : g->w, river_y(g, x) + RIVER_HALF));
    for (double x = g->w; x >= -1e-6; x -= 40)
        vec_append(&river->p, P(x > 0 ? x : 0, river_y(g, x) - RIVER_HALF));
    vec_append(&river->p, river->p.v[0]);
}

/* Green areas come after the roads are known, so they keep clear of the lattice roads that
 * bound them. */
static void green(struct gen *g)
{
    struct area *park = new_area(g, "green", "明湖公园");
    double x0 = fmax(g->node[2][0].x, g->node[2][1].x) + 25,
           x1 = fmin(g->node[3][0].x, g->node[3][1].x) - 25,
           y0 = fmax(g->node[2][0].y, g->node[3][0].y) + 25,
           y1 = fmin(g->node[2][1].y, g->node[3][1].y) - 25;
    struct pt ring[5] = {P(x0, y0), P(x1, y0), P(x1, y1), P(x0, y1), P(x0, y0)};
    for (int k = 0; k < 5; k++)
        vec_append(&park->p, ring[k]);

    /* The riverside belt south of the river, between the outer lattice lines. */
    struct area *belt = new_area(g, "green", "澜溪滨河绿带");
    double bx0 = g->node[0][TRUNK_Y].x + 30, bx1 = g->node[NX - 1][TRUNK_Y].x - 30;
    for (double x = bx0; x < bx1; x += 40)
        vec_append(&belt->p, P(x, river_y(g, x) - RIVER_HALF - 2));
    vec_append(&belt->p, P(bx1, river_y(g, bx1) - RIVER_HALF - 2));
    for (double x = bx1; x > bx0; x -= 40)
        vec_append(&belt->p, P(x, river_y(g, x) - RIVER_HALF - 70));
    vec_append(&belt->p, P(bx0, river_y(g, bx0) - RIVER_HALF - 70));
    vec_append(&belt->p, belt->p.v[0]);
}

static void other_roads(struct gen *g)
{
    /* 迎宾大道: a diagonal from a lattice node in the south-west to the north-east corner. */
    struct road *d = new_road(g, "迎宾大道", "trunk");
    add_point(&d->p, g->node[1][0]);
    add_point(&d->p, g->node[NX - 1][NY - 1]);

    /* 滨河路 along the north bank and the greenway on the south bank, from edge to edge;
     * junctions() finds where the lattice crosses them and trims their loose ends. */
    struct road *r = new_road(g, "滨河路", "secondary");
    struct road *w = new_road(g, "澜溪绿道", "path");
    r->trim = w->trim = 1;
    for (double x = 60; x <= g->w - 60; x += 40) {
        add_point(&r->p, P(x, river_y(g, x) + RIVER_HALF + 45));
        add_point(&w->p, P(x, river_y(g, x) - RIVER_HALF - 35));
    }

    /* A loop round the lake and four paths out to the midpoints of the block's edges. */
    struct road *loop = new_road(g, "明湖环湖步道", "path");
    for (int k = 0; k <= 48; k++) {
        double a = 2 * M_PI * (k % 48) / 48;
        add_point(&loop->p, P(g->lake_c.x + (g->lake_rx + 20) * cos(a),
                              g->lake_c.y + (g->lake_ry + 20) * sin(a)));
    }
    loop->p.v[loop->p.n - 1] = loop->p.v[0];
    struct pt out[4] = {g->mew[2][0], g->mew[2][1], g->mns[2][0], g->mns[3][0]};
    for (int k = 0; k < 4; k++) {
        size_t best = 0;
        for (size_t v = 1; v + 1 < loop->p.n; v++)
            if (dist(loop->p.v[v], out[k]) < dist(loop->p.v[best], out[k]))
                best = v;
        struct road *p = new_road(g, "明湖公园步道", "path");
        add_point(&p->p, out[k]);
        add_point(&p->p, loop->p.v[best]);
    }
}

static int cmp_ins(const void *pa, const void *pb)
{
    const struct ins *a = pa, *b = pb;
    if (a->road != b->road)
        return a->road < b->road ? -1 : 1;
    if (a->seg != b->seg)
        return a->seg < b->seg ? -1 : 1;
    return a->t < b->t ? -1 : a->t > b->t;
}

static void box_of(const pts_t *p, struct box *b)
{
    *b = (struct box){1e18, 1e18, -1e18, -1e18};
    for (size_t i = 0; i < p->n; i++) {
        b->x0 = fmin(b->x0, p->v[i].x);
        b->y0 = fmin(b->y0, p->v[i].y);
        b->x1 = fmax(b->x1, p->v[i].x);
        b->y1 = fmax(b->y1, p->v[i].y);
    }
}

/* The vertex of road r nearest to the point at t along segment s, if within EPS. */
static const struct pt *near_vertex(const struct road *r, size_t s, double t, struct pt p)
{
    if (t < 0.5 && dist(p, r->p.v[s]) <= EPS)
        return &r->p.v[s];
    if (t >= 0.5 && dist(p, r->p.v[s + 1]) <= EPS)
        return &r->p.v[s + 1];
    return NULL;
}

static int same(struct pt a, struct pt b)
{
    return a.x == b.x && a.y == b.y;
}

static int cmp_pt(const void *pa, const void *pb)
{
    const struct pt *a = pa, *b = pb;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    return a->y < b->y ? -1 : a->y > b->y;
}

/* A sorted list of the vertices shared by two or more roads. */
static void junction_set(struct gen *g, pts_t *out)
{
    VEC(struct pt) all = VEC_INIT;
    for (size_t r = 0; r < g->roads.n; r++) {
        pts_t *p = &g->roads.v[r].p;
        /* Once per road: a closed loop's first and last vertex are one. */
        size_t from = all.n;
        for (size_t i = 0; i < p->n; i++)
            vec_append(&all, p->v[i]);
        qsort(all.v + from, all.n - from, sizeof(struct pt), cmp_pt);
        size_t w = from;
        for (size_t i = from; i < all.n; i++)
            if (i == from || !same(all.v[i], all.v[w - 1]))
                all.v[w++] = all.v[i];
        all.n = w;
    }
    qsort(all.v, all.n, sizeof(struct pt), cmp_pt);
    *out = (pts_t)VEC_IN(g->a);
    for (size_t i = 0; i + 1 < all.n; i++)
        if (same(all.v[i], all.v[i + 1]) && (out->n == 0 || !same(*vec_last(out), all.v[i])))
            vec_append(out, all.v[i]);
    vec_release(&all);
}

static int is_junction(const pts_t *set, struct pt p)
{
    return bsearch(&p, set->v, set->n, sizeof(struct pt), cmp_pt) != NULL;
}

/* Make every crossing and T-junction of two roads a vertex of both (see the top). */
static void junctions(struct gen *g)
{
    VEC(struct ins) ins = VEC_INIT;
    size_t n = g->roads.n;
    struct box *bx = xcalloc(n, sizeof(*bx));
    for (size_t r = 0; r < n; r++)
        box_of(&g->roads.v[r].p, &bx[r]);
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++) {
            if (bx[a].x0 > bx[b].x1 + 1 || bx[b].x0 > bx[a].x1 + 1 || bx[a].y0 > bx[b].y1 + 1 ||
                bx[b].y0 > bx[a].y1 + 1)
                continue;
            struct road *ra = &g->roads.v[a], *rb = &g->roads.v[b];
            for (size_t s = 0; s + 1 < ra->p.n; s++)
                for (size_t q = 0; q + 1 < rb->p.n; q++) {
                    double t, u;
                    struct pt a0 = ra->p.v[s], a1 = ra->p.v[s + 1], b0 = rb->p.v[q],
                              b1 = rb->p.v[q + 1];
                    if (fmax(a0.x, a1.x) < fmin(b0.x, b1.x) - 1 ||
                        fmax(b0.x, b1.x) < fmin(a0.x, a1.x) - 1 ||
                        fmax(a0.y, a1.y) < fmin(b0.y, b1.y) - 1 ||
                        fmax(b0.y, b1.y) < fmin(a0.y, a1.y) - 1 || !cross(a0, a1, b0, b1, &t, &u))
                        continue;
                    struct pt p = P(a0.x + t * (a1.x - a0.x), a0.y + t * (a1.y - a0.y));
                    const struct pt *va = near_vertex(ra, s, t, p), *vb = near_vertex(rb, q, u, p);
                    if (va && vb) {
                        if (!same(*va, *vb))
                            vec_append(&ins, ((struct ins){b, q, u, *va}));
                    } else if (va) {
                        vec_append(&ins, ((struct ins){b, q, u, *va}));
                    } else if (vb) {
                        vec_append(&ins, ((struct ins){a, s, t, *vb}));
                    } else {
                        vec_append(&ins, ((struct ins){a, s, t, p}));
                        vec_append(&ins, ((struct ins){b, q, u, p}));
                    }
                }
        }
    free(bx);
    qsort(ins.v, ins.n, sizeof(struct ins), cmp_ins);
    size_t k = 0;
    for (size_t r = 0; r < n; r++) {
        struct road *rd = &g->roads.v[r];
        pts_t np = VEC_IN(g->a);
        for (size_t s = 0; s < rd->p.n; s++) {
            add_point(&np, rd->p.v[s]);
            for (; k < ins.n && ins.v[k].road == r && ins.v[k].seg == s; k++)
                add_point(&np, ins.v[k].p);
        }
        rd->p = np;
    }
    vec_release(&ins);

    /* Trim loose ends back to the first and last junction. */
    pts_t set;
    junction_set(g, &set);
    for (size_t r = 0; r < n; r++) {
        struct road *rd = &g->roads.v[r];
        if (!rd->trim)
            continue;
        size_t first = 0, last = rd->p.n - 1;
        while (first < last && !is_junction(&set, rd->p.v[first]))
            first++;
        while (last > first && !is_junction(&set, rd->p.v[last]))
            last--;
        memmove(rd->p.v, rd->p.v + first, (last - first + 1) * sizeof(struct pt));
        rd->p.n = last - first + 1;
    }
}

/* ---- lots, compounds and facilities ---------------------------------------------------- */

static int box_clear(const struct gen *g, struct box b, double clearance)
{
    if (b.x1 - b.x0 < 90 || b.y1 - b.y0 < 70)
        return 0;
    for (size_t r = 0; r < g->roads.n; r++) {
        const pts_t *p = &g->roads.v[r].p;
        for (size_t s = 0; s + 1 < p->n; s++)
            if (dist_seg_box(p->v[s], p->v[s + 1], b) < clearance)
                return 0;
    }
    for (size_t i = 0; i < g->areas.n; i++) {
        const pts_t *p = &g->areas.v[i].p;
        for (size_t s = 0; s + 1 < p->n; s++)
            if (dist_seg_box(p->v[s], p->v[s + 1], b) < 10)
                return 0;
        if (in_ring(p, P(b.x0, b.y0)))
            return 0;
    }
    return 1;
}

static void lots(struct gen *g)
{
    for (int i = 0; i + 1 < NX; i++)
        for (int j = 0; j + 1 < NY; j++) {
            if (lake_block(i, j))
                continue;
            struct pt q[3][3] = {
                {g->node[i][j], g->mns[i][j], g->node[i][j + 1]},
                {g->mew[i][j], block_centre(g, i, j), g->mew[i][j + 1]},
                {g->node[i + 1][j], g->mns[i + 1][j], g->node[i + 1][j + 1]},
            };
            for (int qx = 0; qx < 2; qx++)
                for (int qy = 0; qy < 2; qy++) {
                    struct box b = {fmax(q[qx][qy].x, q[qx][qy + 1].x) + 35,
                                    fmax(q[qx][qy].y, q[qx + 1][qy].y) + 35,
                                    fmin(q[qx + 1][qy].x, q[qx + 1][qy + 1].x) - 35,
                                    fmin(q[qx][qy + 1].y, q[qx + 1][qy + 1].y) - 35};
                    struct box halves[5] = {
                        b,
                        {b.x0, b.y0, (b.x0 + b.x1) / 2 - 15, b.y1},
                        {(b.x0 + b.x1) / 2 + 15, b.y0, b.x1, b.y1},
                        {b.x0, b.y0, b.x1, (b.y0 + b.y1) / 2 - 15},
                        {b.x0, (b.y0 + b.y1) / 2 + 15, b.x1, b.y1},
                    };
                    for (int k = 0; k < 5; k++)
                        if (box_clear(g, halves[k], 30)) {
                            struct lot *l = vec_push(&g->lots);
                            l->b = halves[k];
                            l->community = community_of(
                                g, P((l->b.x0 + l->b.x1) / 2, (l->b.y0 + l->b.y1) / 2));
                            l->order = mix(((uint64_t)i << 16) | ((uint64_t)j << 8) |
                                           (uint64_t)(qx * 2 + qy));
                            break;
                        }
                }
        }
}

/* The next free lot of community k (NULL when it has none left). */
static struct lot *take_lot(struct gen *g, int k)
{
    struct lot *best = NULL;
    for (size_t i = 0; i < g->lots.n; i++) {
        struct lot *l = &g->lots.v[i];
        if (!l->used && l->community == k && (!best || l->order < best->order))
            best = l;
    }
    if (best)
        best->used = 1;
    return best;
}

static struct demo_reg_building *add_building(struct gen *g, const char *compound,
                                              const char *number, const char *use, int floors,
                                              struct box b)
{
    struct demo_reg_building *x = vec_push(&g->blds);
    x->code = arena_printf(g->a, "B%06zu", g->blds.n);
    x->compound = compound;
    x->number = number;
    x->use = use;
    x->floors = floors;
    /* lon/lat comes at the end (finish()); metres until then */
    x->box[0] = b.x0;
    x->box[1] = b.y0;
    x->box[2] = b.x1;
    x->box[3] = b.y1;
    return x;
}

static struct demo_reg_point *add_addr(struct gen *g, struct pt p)
{
    struct demo_reg_point *x = vec_push(&g->points);
    x->code = arena_printf(g->a, "A%07zu", g->points.n);
    x->road = -1;
    x->building = x->compound = x->unit = x->house_no = "";
    x->building_ix = -1;
    vec_append(&g->ppos, p);
    return x;
}

static const char *compound_name(struct gen *g, int k, int *serial)
{
    static const char *const village[] = {"东苑",   "西苑", "南苑", "北苑",
                                          "农居点", "嘉苑", "新苑", "安置小区"};
    int nw = (int)(sizeof(compound_words) / sizeof(compound_words[0]));
    int ns = (int)(sizeof(compound_suffix) / sizeof(compound_suffix[0]));
    int nth = (*serial)++;
    if (nth == 0)
        return first_compound[k];
    if (rural(k) && nth <= 8)
        return arena_printf(g->a, "%s村%s", community_base(g->a, k), village[nth - 1]);
    /* One pool for the district, so no two compounds share a name. */
    int idx = g->pool++;
    return arena_printf(g->a, "%s%s", compound_words[idx % nw],
                        compound_suffix[(idx / nw + idx) % ns]);
}

/* Rows of buildings in a lot, south to north and west to east: 1幢, 2幢, ... */
static void compound(struct gen *g, struct lot *l, const char *name, int k)
{
    int village = rural(k);
    uint64_t seed = l->order;
    int units = village ? 1 : 2 + hint(seed, 1, 0, 3);
    int floors_opts[] = {6, 11, 18, 26, 33};
    int floors = village ? 3 + hint(seed, 2, 0, 2) : floors_opts[hint(seed, 2, 0, 5)];
    double uw = village ? 12 : 13.5, depth = village ? 11 : 13;
    double gap_y = village ? 14 : floors <= 6 ? 22 : 30, gap_x = village ? 10 : 14;
    double bw = units * uw;
    int cols = (int)((l->b.x1 - l->b.x0 + gap_x) / (bw + gap_x));
    int rows = (int)((l->b.y1 - l->b.y0 + gap_y) / (depth + gap_y));
    if (cols < 1 || rows < 1)
        return;
    /* The default demo fills a compound loosely (4 to 9 buildings); a denser register fills
     * it up to all the rows and columns that fit. */
    int want = (int)((4 + hint(seed, 3, 0, 6)) * g->density);
    int cap = cols * rows;
    int nb = want < cap ? want : cap;
    double ox = l->b.x0 + (l->b.x1 - l->b.x0 - (cols * (bw + gap_x) - gap_x)) / 2;
    double oy = l->b.y0 + (l->b.y1 - l->b.y0 - (rows * (depth + gap_y) - gap_y)) / 2;
    for (int b = 0; b < nb; b++) {
        int r = b / cols, c = b % cols;
        struct box fp = {ox + c * (bw + gap_x), oy + r * (depth + gap_y), 0, 0};
        fp.x1 = fp.x0 + bw;
        fp.y1 = fp.y0 + depth;
        const char *num = arena_printf(g->a, "%d幢", b + 1);
        add_building(g, name, num, "residential", floors, fp);
        int bi = (int)g->blds.n - 1;
        for (int u = 0; u < units; u++) {
            struct demo_reg_point *p = add_addr(g, P(fp.x0 + (u + 0.5) * uw, fp.y0 + 2.5));
            p->compound = name;
            p->building = num;
            p->unit = arena_printf(g->a, "%d单元", u + 1);
            p->building_ix = bi;
        }
    }
}

/* ---- house numbers ----------------------------------------------------------------------- */

/* Addresses the demo and its tests name: always generated, whatever the spacing. */
static const struct {
    const char *road;
    int number;
} landmarks[] = {
    {"锦绣路", 88},
};

static double road_length(const struct road *r)
{
    double l = 0;
    for (size_t i = 0; i + 1 < r->p.n; i++)
        l += dist(r->p.v[i], r->p.v[i + 1]);
    return l;
}

/* The point at distance d along road r, and the unit normal to its left. */
static struct pt along(const struct road *r, double d, struct pt *left)
{
    for (size_t i = 0; i + 1 < r->p.n; i++) {
        struct pt a = r->p.v[i], b = r->p.v[i + 1];
        double l = dist(a, b);
        if (d <= l || i + 2 == r->p.n) {
            double t = l > 0 ? d / l : 0;
            *left = P(-(b.y - a.y) / l, (b.x - a.x) / l);
            return P(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y));
        }
        d -= l;
    }
    *left = P(0, 1);
    return r->p.v[0];
}

static double kind_spacing(const char *kind)
{
    return strcmp(kind, "trunk") == 0       ? 60
           : strcmp(kind, "primary") == 0   ? 45
           : strcmp(kind, "secondary") == 0 ? 70
                                            : 90;
}

static double kind_setback(const char *kind)
{
    return strcmp(kind, "trunk") == 0 ? 24 : strcmp(kind, "primary") == 0 ? 18 : 12;
}

/* A house number may stand here: in the district, on dry land outside parks and lots, and
 * clear of every other road. */
static int frontage_ok(const struct gen *g, size_t own, struct pt p)
{
    if (p.x < 20 || p.y < 20 || p.x > g->w - 20 || p.y > g->h - 20 || in_water(g, p, 3) ||
        in_area(g, p))
        return 0;
    for (size_t i = 0; i < g->lots.n; i++)
        if (g->lots.v[i].used && in_box(g->lots.v[i].b, p))
            return 0;
    for (size_t r = 0; r < g->roads.n; r++) {
        struct box b = g->rbox[r];
        if (r == own || p.x < b.x0 - 10 || p.x > b.x1 + 10 || p.y < b.y0 - 10 || p.y > b.y1 + 10)
            continue;
        const pts_t *q = &g->roads.v[r].p;
        for (size_t s = 0; s + 1 < q->n; s++)
            if (dist_seg(p, q->v[s], q->v[s + 1]) < 10)
                return 0;
    }
    return 1;
}

static int landmark(const struct road *r, int number)
{
    for (size_t i = 0; i < sizeof(landmarks) / sizeof(landmarks[0]); i++)
        if (strcmp(landmarks[i].road, r->name) == 0 && landmarks[i].number == number)
            return 1;
    return 0;
}

/* House numbers of road r: a number pair per 'slot' metres from its start, a point every
 * 'scale' x the kind's spacing on each side; odd on the left, even on the right. */
static void house_numbers(struct gen *g, size_t ri, double scale, double slot)
{
    const struct road *r = &g->roads.v[ri];
    if (strcmp(r->kind, "path") == 0)
        return;
    double len = road_length(r), step = kind_spacing(r->kind) * scale;
    double back = kind_setback(r->kind);
    if (step < slot)
        step = slot;
    for (int side = 0; side < 2; side++) {
        double next = h01(5, ri, side) * step;
        int nslots = (int)(len / slot);
        for (int k = 0; k < nslots; k++) {
            double d = (k + 0.5) * slot;
            int number = 2 * k + 1 + side;
            if ((d < next && !landmark(r, number)) || d < 15 || d > len - 15)
                continue;
            struct pt left, p = along(r, d, &left);
            double sb = side == 0 ? back : -back;
            struct pt q = P(p.x + left.x * sb, p.y + left.y * sb);
            if (!frontage_ok(g, ri, q))
                continue; /* the next slot may do */
            next = d + step;
            struct demo_reg_point *a = add_addr(g, q);
            a->road = (int)ri;
            a->house_no = arena_printf(g->a, "%d号", number);
        }
    }
}

/* ---- places -------------------------------------------------------------------------- */

static struct demo_reg_place *add_place(struct gen *g, const char *type, const char *name,
                                        int point, struct pt p)
{
    struct demo_reg_place *x = vec_push(&g->places);
    x->code = arena_printf(g->a, "F%04zu", g->places.n);
    x->type = type;
    x->name = name;
    x->point = point;
    x->lon = p.x; /* metres until finish() */
    x->lat = p.y;
    return x;
}

static int nearest_street_point(const struct gen *g, struct pt p)
{
    int best = -1;
    double bd = 1e18;
    for (size_t i = 0; i < g->points.n; i++) {
        if (g->points.v[i].road < 0)
            continue;
        double d = dist(g->ppos.v[i], p);
        if (d < bd) {
            bd = d;
            best = (int)i;
        }
    }
    return best;
}

static const char *road_name_of(const struct gen *g, int point)
{
    return g->roads.v[g->points.v[point].road].name;
}

static const char *street_base(struct arena *a, int s)
{
    /* "青石街道" -> "青石", "松岭镇" -> "松岭" */
    const char *n = demo_streets[s].name;
    size_t len = strlen(n);
    if (len > 6 && strcmp(n + len - 6, "街道") == 0)
        return arena_strndup(a, n, len - 6);
    return len > 3 && strcmp(n + len - 3, "镇") == 0 ? arena_strndup(a, n, len - 3) : n;
}

static const char *facility_name(struct gen *g, const char *type, int k, int nth, int point)
{
    const char *base = community_base(g->a, k), *road = road_name_of(g, point);
    const char *street = demo_streets[k / 4].name;
    static const char *const pharmacies[] = {"老百姓大药房", "九洲大药房", "张同泰大药房",
                                             "海王星辰大药房"};
    static const char *const shops[] = {"联华超市", "世纪联华", "物美超市", "农工商超市"};
    static const char *const ordinal[] = {"", "第二", "第三", "第四"};
    if (strcmp(type, "kindergarten") == 0)
        return arena_printf(g->a, "澜溪区%s%s幼儿园", base, ordinal[nth % 4]);
    if (strcmp(type, "clinic") == 0) {
        if (k == 12 && nth == 0)
            return "松岭镇卫生院";
        if (nth > 0)
            return arena_printf(g->a, "%s%s诊所", road, rural(k) ? "" : "社区");
        return arena_printf(g->a, rural(k) ? "%s村卫生室" : "%s社区卫生服务站", base);
    }
    if (strcmp(type, "pharmacy") == 0)
        return arena_printf(g->a, "%s（%s店）", pharmacies[hint(7, k, nth, 4)], road);
    if (strcmp(type, "market") == 0)
        return nth ? arena_printf(g->a, "%s菜市场", road) : arena_printf(g->a, "%s农贸市场", base);
    if (strcmp(type, "supermarket") == 0)
        return arena_printf(g->a, "%s（%s店）", shops[hint(8, k, nth, 4)], road);
    if (strcmp(type, "community_centre") == 0)
        return arena_printf(g->a, "%s党群服务中心", community_name(k));
    if (strcmp(type, "elderly_care") == 0)
        return nth ? arena_printf(g->a, "%s%s居家养老服务站", base, ordinal[nth % 4])
                   : arena_printf(g->a, "%s居家养老服务照料中心", base);
    if (strcmp(type, "police") == 0)
        return k % 4 == 0 ? arena_printf(g->a, "澜溪区公安分局%s派出所", street_base(g->a, k / 4))
                          : arena_printf(g->a, "%s警务室", community_name(k));
    if (strcmp(type, "government") == 0)
        return k == 12 ? "松岭镇人民政府" : arena_printf(g->a, "%s办事处", street);
    if (strcmp(type, "sports") == 0)
        return arena_printf(g->a, "%s全民健身中心", base);
    if (strcmp(type, "library") == 0)
        return arena_printf(g->a, "澜溪区图书馆%s分馆", street_base(g->a, k / 4));
    if (strcmp(type, "toilet") == 0)
        return arena_printf(g->a, "%s公厕", road);
    static const char *const others[] = {"中国邮政%s邮政所", "农业银行%s支行", "工商银行%s支行",
                                         "中国电信%s营业厅"};
    return arena_printf(g->a, others[hint(9, k, nth, 4)], base);
}

static void street_facilities(struct gen *g)
{
    size_t n = g->points.n;
    char *taken = arena_alloc(g->a, n ? n : 1);
    memset(taken, 0, n ? n : 1);
    for (size_t t = 0; t < sizeof(on_street) / sizeof(on_street[0]); t++)
        for (int k = 0; k < 16; k++) {
            int count = on_street[t].per[k][0] - '0';
            /* The community's rectangle (the arithmetic of demo.c's load_regions). */
            int s = k / 4, c = k % 4, cx = (s % 2) * 2 + c % 2, cy = (s / 2) * 2 + c / 2;
            double cw = g->w / 4, ch = g->h / 4;
            for (int nth = 0; nth < count; nth++) {
                /* Spread: the free house number nearest to a point in the nth strip of the
                 * community, somewhere about its middle. */
                struct pt want = P(cw * (cx + (nth + 0.2 + 0.6 * h01(11, t * 16 + k, nth)) / count),
                                   ch * (cy + 0.25 + 0.5 * h01(12, t * 16 + k, nth)));
                int best = -1;
                double bd = 1e18;
                for (size_t i = 0; i < n; i++) {
                    if (taken[i] || g->points.v[i].road < 0 || g->pcomm[i] != k)
                        continue;
                    double d = dist(g->ppos.v[i], want);
                    if (d < bd) {
                        bd = d;
                        best = (int)i;
                    }
                }
                if (best < 0)
                    continue;
                taken[best] = 1;
                add_place(g, on_street[t].type, facility_name(g, on_street[t].type, k, nth, best),
                          best, g->ppos.v[best]);
            }
        }
}

static void lot_facilities(struct gen *g)
{
    for (size_t f = 0; f < sizeof(on_lot) / sizeof(on_lot[0]); f++) {
        int k = on_lot[f].community;
        struct lot *l = take_lot(g, k);
        if (!l)
            continue;
        const char *name = strchr(on_lot[f].name, '%')
                               ? arena_printf(g->a, on_lot[f].name, community_base(g->a, k))
                               : on_lot[f].name;
        struct pt c = P((l->b.x0 + l->b.x1) / 2, (l->b.y0 + l->b.y1) / 2);
        if (strcmp(on_lot[f].type, "park") == 0) {
            struct area *ar = new_area(g, "green", name);
            struct pt ring[5] = {P(l->b.x0, l->b.y0), P(l->b.x1, l->b.y0), P(l->b.x1, l->b.y1),
                                 P(l->b.x0, l->b.y1), P(l->b.x0, l->b.y0)};
            for (int i = 0; i < 5; i++)
                vec_append(&ar->p, ring[i]);
        } else {
            double bw = (l->b.x1 - l->b.x0) * 0.6, bh = fmin(40, (l->b.y1 - l->b.y0) * 0.4);
            add_building(g, "", "", "public", 4 + hint(10, f, 0, 5),
                         (struct box){c.x - bw / 2, c.y - bh / 2, c.x + bw / 2, c.y + bh / 2});
        }
        add_place(g, on_lot[f].type, name, GATE, c);
    }
}

/* The places of the parks that are not lots: the lake's and the riverside belt. */
static void parks(struct gen *g)
{
    const pts_t *lake = &g->areas.v[2].p, *belt = &g->areas.v[3].p;
    add_place(g, "park", g->areas.v[2].name, GATE,
              P((lake->v[0].x + lake->v[1].x) / 2, lake->v[0].y + 15));
    double x = g->w * 0.45;
    (void)belt;
    add_place(g, "park", "澜溪滨河公园", GATE, P(x, river_y(g, x) - RIVER_HALF - 35));
}

/* Bus stops just past each crossing of a main road, metro stations on the trunk. */
static void transit(struct gen *g, const pts_t *set)
{
    for (size_t r = 0; r < g->roads.n; r++) {
        const struct road *rd = &g->roads.v[r];
        int main_road = strcmp(rd->kind, "trunk") == 0 || strcmp(rd->kind, "primary") == 0;
        if (!main_road)
            continue;
        double d = 0;
        int metro = 0;
        for (size_t i = 0; i + 1 < rd->p.n; i++) {
            struct pt v = rd->p.v[i];
            if (i > 0 && is_junction(set, v)) {
                /* the crossing road's name */
                const char *other = NULL, *okind = NULL;
                for (size_t q = 0; q < g->roads.n && !other; q++) {
                    if (q == r)
                        continue;
                    for (size_t m = 0; m < g->roads.v[q].p.n; m++)
                        if (same(g->roads.v[q].p.v[m], v)) {
                            other = g->roads.v[q].name;
                            okind = g->roads.v[q].kind;
                            break;
                        }
                }
                if (other && strcmp(other, rd->name) != 0 && strcmp(okind, "path") != 0 &&
                    strcmp(okind, "branch") != 0) {
                    struct pt left, p = along(rd, d + 40, &left);
                    struct pt q = P(p.x - left.x * 9, p.y - left.y * 9);
                    /* No house number: the crossing is their address. */
                    const char *at = arena_printf(g->a, "%s与%s交叉口", rd->name, other);
                    if (frontage_ok(g, r, q))
                        add_place(g, "bus_stop", arena_printf(g->a, "%s%s口", rd->name, other), -1,
                                  q)
                            ->address = at;
                    if (strcmp(rd->name, "澜溪中路") == 0 && metro++ % 2 == 0)
                        add_place(g, "metro", arena_printf(g->a, "%s站", other), -1,
                                  P(p.x + left.x * 30, p.y + left.y * 30))
                            ->address = at;
                }
            }
            d += dist(rd->p.v[i], rd->p.v[i + 1]);
        }
    }
}

/* Two places of one name become 钱塘路公厕 and 钱塘路公厕（二）, or for a chain's shops
 * 联华超市（凤起路店） and 联华超市（凤起路二店）. */
static void unique_names(struct gen *g)
{
    static const char *const nth[] = {"二", "三", "四", "五", "六", "七", "八", "九"};
    const char **was = arena_alloc(g->a, (g->places.n + 1) * sizeof(*was));
    for (size_t i = 0; i < g->places.n; i++)
        was[i] = g->places.v[i].name;
    for (size_t i = 1; i < g->places.n; i++) {
        int same_name = 0;
        for (size_t j = 0; j < i; j++)
            same_name += strcmp(was[i], was[j]) == 0;
        if (same_name == 0 || same_name > 8)
            continue;
        const char *name = g->places.v[i].name, *shop = "店）";
        size_t len = strlen(name), sl = strlen(shop);
        if (len > sl && strcmp(name + len - sl, shop) == 0)
            g->places.v[i].name =
                arena_printf(g->a, "%.*s%s%s", (int)(len - sl), name, nth[same_name - 1], shop);
        else
            g->places.v[i].name = arena_printf(g->a, "%s（%s）", name, nth[same_name - 1]);
    }
}

/* ---- output ---------------------------------------------------------------------------- */

static double LON(const struct gen *g, double x)
{
    return g->bbox[0] + x / g->mlon;
}

static double LAT(const struct gen *g, double y)
{
    return g->bbox[1] + y / g->mlat;
}

static const double *lonlat(struct gen *g, const pts_t *p)
{
    double *v = arena_alloc(g->a, p->n * 2 * sizeof(double));
    for (size_t i = 0; i < p->n; i++) {
        v[2 * i] = LON(g, p->v[i].x);
        v[2 * i + 1] = LAT(g, p->v[i].y);
    }
    return v;
}

static const char *address_text(struct gen *g, int point)
{
    const struct demo_reg_point *p = &g->points.v[point];
    if (p->road >= 0)
        return arena_printf(g->a, "%s%s", g->roads.v[p->road].name, p->house_no);
    return arena_printf(g->a, "%s%s%s", p->compound, p->building, p->unit);
}

static void finish(struct gen *g, struct demo_reg *out)
{
    memset(out, 0, sizeof(*out));
    out->roads = arena_alloc(g->a, g->roads.n * sizeof(*out->roads));
    for (size_t i = 0; i < g->roads.n; i++) {
        struct road *r = &g->roads.v[i];
        out->roads[i] = (struct demo_reg_road){arena_printf(g->a, "R%04zu", i + 1), r->name,
                                               r->kind, lonlat(g, &r->p), r->p.n};
    }
    out->nroads = g->roads.n;
    /* Green before water: the lake lies in its park, and a map that draws areas in order
     * shows it. */
    out->areas = arena_alloc(g->a, g->areas.n * sizeof(*out->areas));
    for (int water = 0; water < 2; water++)
        for (size_t i = 0; i < g->areas.n; i++) {
            struct area *ar = &g->areas.v[i];
            if ((strcmp(ar->kind, "water") == 0) != water)
                continue;
            out->areas[out->nareas] =
                (struct demo_reg_area){arena_printf(g->a, "W%03zu", out->nareas + 1), ar->kind,
                                       ar->name, lonlat(g, &ar->p), ar->p.n};
            out->nareas++;
        }
    for (size_t i = 0; i < g->blds.n; i++) {
        double *b = g->blds.v[i].box;
        b[0] = LON(g, b[0]);
        b[1] = LAT(g, b[1]);
        b[2] = LON(g, b[2]);
        b[3] = LAT(g, b[3]);
    }
    out->buildings = g->blds.v;
    out->nbuildings = g->blds.n;
    for (size_t i = 0; i < g->points.n; i++) {
        g->points.v[i].lon = LON(g, g->ppos.v[i].x);
        g->points.v[i].lat = LAT(g, g->ppos.v[i].y);
        g->points.v[i].address = address_text(g, (int)i);
    }
    out->points = g->points.v;
    out->npoints = g->points.n;
    for (size_t i = 0; i < g->places.n; i++) {
        struct demo_reg_place *p = &g->places.v[i];
        /* a site of its own: its address is the house number nearest its gate */
        if (p->point == GATE)
            p->point = nearest_street_point(g, P(p->lon, p->lat));
        if (p->point >= 0)
            p->address = address_text(g, p->point);
        p->lon = LON(g, p->lon);
        p->lat = LAT(g, p->lat);
    }
    out->places = g->places.v;
    out->nplaces = g->places.n;
}

int demo_reg_generate(struct arena *a, int addresses, struct demo_reg *out, struct err *err)
{
    return demo_reg_generate_in(a, addresses, demo_district_bbox, out, err);
}

int demo_reg_generate_in(struct arena *a, int addresses, const double bbox[4], struct demo_reg *out,
                         struct err *err)
{
    if (addresses == 0)
        addresses = DEMO_REGISTER_DEFAULT;
    if (addresses < 1000 || addresses > DEMO_REGISTER_MAX)
        return err_field(err, ERR_BAD_REQUEST, "demo-addresses",
                         "the demo register holds from 1000 to %d addresses, not %d",
                         DEMO_REGISTER_MAX, addresses);
    struct gen g = {.a = a};
    memcpy(g.bbox, bbox, sizeof(g.bbox));
    /* At 澜溪区 the demo's fixed factors; elsewhere the same equirectangular approximation. */
    g.mlon =
        bbox == demo_district_bbox ? MLON : 111320.0 * cos((bbox[1] + bbox[3]) / 2 * M_PI / 180);
    g.mlat = bbox == demo_district_bbox ? MLAT : 110900.0;
    g.roads = (roads_t)VEC_IN(a);
    g.areas = (areas_t)VEC_IN(a);
    g.lots = (lots_t)VEC_IN(a);
    g.blds = (blds_t)VEC_IN(a);
    g.points = (points_t)VEC_IN(a);
    g.places = (places_t)VEC_IN(a);
    g.ppos = (pts_t)VEC_IN(a);
    g.w = (bbox[2] - bbox[0]) * g.mlon;
    g.h = (bbox[3] - bbox[1]) * g.mlat;
    g.density = (double)addresses / DEMO_REGISTER_DEFAULT;

    lattice(&g);
    water_and_green(&g);
    lattice_roads(&g);
    branch_roads(&g);
    other_roads(&g);
    junctions(&g);
    g.rbox = arena_alloc(a, g.roads.n * sizeof(struct box));
    for (size_t r = 0; r < g.roads.n; r++)
        box_of(&g.roads.v[r].p, &g.rbox[r]);
    green(&g);
    lots(&g);

    /* Public sites and parks first, then a compound on every lot left. */
    lot_facilities(&g);
    int serial[16] = {0};
    for (int k = 0; k < 16; k++) {
        struct lot *l;
        while ((l = take_lot(&g, k)) != NULL)
            compound(&g, l, compound_name(&g, k, &serial[k]), k);
    }
    size_t units = g.points.n;

    /* House numbers make up the rest: the spacing that gives about that many. */
    double front = 0;
    for (size_t r = 0; r < g.roads.n; r++)
        if (strcmp(g.roads.v[r].kind, "path") != 0)
            front += 2 * road_length(&g.roads.v[r]) / kind_spacing(g.roads.v[r].kind);
    double want = (double)addresses - (double)units;
    if (want < addresses * 0.3)
        want = addresses * 0.3;
    /* About a sixth of the slots fall at crossings, on water or in parks. */
    double scale = front / (want * 1.2);
    double slot = scale * 45 < 10 ? scale * 45 : 10;
    if (slot < 2)
        slot = 2;
    for (size_t r = 0; r < g.roads.n; r++)
        house_numbers(&g, r, scale, slot);

    g.pcomm = arena_alloc(a, (g.points.n + 1) * sizeof(int));
    for (size_t i = 0; i < g.points.n; i++)
        g.pcomm[i] = community_of(&g, g.ppos.v[i]);
    parks(&g);
    pts_t set;
    junction_set(&g, &set);
    street_facilities(&g);
    transit(&g, &set);
    unique_names(&g);
    finish(&g, out);
    return 0;
}

/* ---- into the register ------------------------------------------------------------------ */

static const char *line_json(struct buf *b, const char *type, const double *v, size_t n,
                             int polygon)
{
    buf_reset(b);
    buf_printf(b, "{\"type\":\"%s\",\"coordinates\":%s", type, polygon ? "[[" : "[");
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "%s[%.7f,%.7f]", i ? "," : "", v[2 * i], v[2 * i + 1]);
    buf_puts(b, polygon ? "]]}" : "]}");
    return b->p;
}

static int build_grids(struct store_conn *c, struct arena *a, struct geo_index **out,
                       struct err *err)
{
    struct org_region_filter f = {.with_boundary = 1};
    struct org_region *v;
    size_t n;
    int rc;
    if ((rc = org_region_list(c, &f, a, &v, &n, err)) < 0 || (rc = geo_index_new(out, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (v[i].boundary && (rc = geo_index_add(*out, v[i].id, org_region_depth(v[i].level),
                                                 v[i].boundary, err)) < 0)
            return rc;
    return 0;
}

static int write_register(struct store_conn *c, struct geo_index *grids, const struct demo_reg *r,
                          int64_t now, struct arena *a, struct err *err)
{
    struct buf b;
    int rc = 0;
    int64_t *road_id = arena_alloc(a, (r->nroads + 1) * sizeof(int64_t));
    int64_t *bld_id = arena_alloc(a, (r->nbuildings + 1) * sizeof(int64_t));
    int64_t *point_id = arena_alloc(a, (r->npoints + 1) * sizeof(int64_t));
    int64_t id;
    buf_init(&b);
    for (size_t i = 0; i < r->nroads && rc == 0; i++) {
        const struct demo_reg_road *x = &r->roads[i];
        struct addr_road_in in = {x->code, x->name, x->kind,
                                  line_json(&b, "LineString", x->lonlat, x->n, 0)};
        rc = addr_road_put(c, &in, now, &road_id[i], err);
    }
    for (size_t i = 0; i < r->nareas && rc == 0; i++) {
        const struct demo_reg_area *x = &r->areas[i];
        struct addr_area_in in = {x->code, x->kind, x->name,
                                  line_json(&b, "Polygon", x->lonlat, x->n, 1)};
        rc = addr_area_put(c, &in, now, &id, err);
    }
    for (size_t i = 0; i < r->nbuildings && rc == 0; i++) {
        const struct demo_reg_building *x = &r->buildings[i];
        const double *q = x->box;
        double ring[10] = {q[0], q[1], q[2], q[1], q[2], q[3], q[0], q[3], q[0], q[1]};
        struct addr_building_in in = {x->code, x->compound, x->number,
                                      x->use,  x->floors,   line_json(&b, "Polygon", ring, 5, 1)};
        rc = addr_building_put(c, grids, &in, now, &bld_id[i], err);
    }
    for (size_t i = 0; i < r->npoints && rc == 0; i++) {
        const struct demo_reg_point *x = &r->points[i];
        struct addr_point_in in = {x->code,
                                   x->road >= 0 ? road_id[x->road] : 0,
                                   x->house_no,
                                   x->compound,
                                   x->building,
                                   x->unit,
                                   x->building_ix >= 0 ? bld_id[x->building_ix] : 0,
                                   x->lat,
                                   x->lon};
        rc = addr_point_put(c, grids, &in, now, &point_id[i], err);
    }
    for (size_t i = 0; i < r->nplaces && rc == 0; i++) {
        const struct demo_reg_place *x = &r->places[i];
        /* A place at an address point takes the point's written address (NULL). */
        struct addr_place_in in = {x->code,
                                   x->name,
                                   x->type,
                                   x->point >= 0 ? point_id[x->point] : 0,
                                   x->point >= 0 ? NULL : x->address,
                                   x->lat,
                                   x->lon};
        rc = addr_place_put(c, grids, &in, now, &id, err);
    }
    buf_release(&b);
    return rc;
}

/* "澜溪区人民医院" -> "东城区人民医院" on a real district. */
static const char *renamed(struct arena *a, const char *name, const char *district)
{
    static const char ours[] = "澜溪区";
    if (!name || strncmp(name, ours, sizeof(ours) - 1) != 0)
        return name;
    return arena_printf(a, "%s%s", district, name + sizeof(ours) - 1);
}

static int inside(struct geo_index *grids, double lon, double lat)
{
    return geo_locate(grids, lon, lat) != 0;
}

static int line_touches(struct geo_index *grids, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (inside(grids, v[2 * i], v[2 * i + 1]))
            return 1;
    return 0;
}

/*
 * On a real district the plan is laid over the boundary's envelope: keep what lies inside
 * the district (points, buildings and places located in a grid; roads and areas with a vertex
 * inside), renumber the references, and give the district's own name to its institutions.
 */
static void clip(struct demo_reg *r, struct geo_index *grids, const char *district, struct arena *a)
{
    int *road = arena_alloc(a, (r->nroads + 1) * sizeof(int));
    int *bld = arena_alloc(a, (r->nbuildings + 1) * sizeof(int));
    int *pt = arena_alloc(a, (r->npoints + 1) * sizeof(int));
    size_t n = 0;
    for (size_t i = 0; i < r->nroads; i++) {
        road[i] = line_touches(grids, r->roads[i].lonlat, r->roads[i].n) ? (int)n : -1;
        if (road[i] >= 0)
            r->roads[n++] = r->roads[i];
    }
    r->nroads = n;
    n = 0;
    for (size_t i = 0; i < r->nareas; i++)
        if (line_touches(grids, r->areas[i].lonlat, r->areas[i].n))
            r->areas[n++] = r->areas[i];
    r->nareas = n;
    n = 0;
    for (size_t i = 0; i < r->nbuildings; i++) {
        const double *q = r->buildings[i].box;
        bld[i] = inside(grids, (q[0] + q[2]) / 2, (q[1] + q[3]) / 2) ? (int)n : -1;
        if (bld[i] >= 0)
            r->buildings[n++] = r->buildings[i];
    }
    r->nbuildings = n;
    n = 0;
    for (size_t i = 0; i < r->npoints; i++) {
        struct demo_reg_point p = r->points[i];
        int keep = inside(grids, p.lon, p.lat) && (p.road < 0 || road[p.road] >= 0) &&
                   (p.building_ix < 0 || bld[p.building_ix] >= 0);
        pt[i] = keep ? (int)n : -1;
        if (!keep)
            continue;
        p.road = p.road >= 0 ? road[p.road] : -1;
        p.building_ix = p.building_ix >= 0 ? bld[p.building_ix] : -1;
        r->points[n++] = p;
    }
    r->npoints = n;
    n = 0;
    for (size_t i = 0; i < r->nplaces; i++) {
        struct demo_reg_place p = r->places[i];
        if (!inside(grids, p.lon, p.lat) || (p.point >= 0 && pt[p.point] < 0))
            continue;
        p.point = p.point >= 0 ? pt[p.point] : -1;
        p.name = renamed(a, p.name, district);
        r->places[n++] = p;
    }
    r->nplaces = n;
}

int demo_register(struct store *st, int addresses, int64_t now, struct demo_register_report *rep,
                  struct err *err)
{
    struct store_conn *c;
    struct geo_index *grids = NULL;
    struct demo_reg r;
    struct arena a;
    int rc;
    memset(rep, 0, sizeof(*rep));
    const struct demo_district *real = NULL;
    char *code = NULL;
    double bbox[4];
    arena_init(&a, 1 << 20);
    if ((rc = store_conn(st, &c, err)) < 0)
        goto out;
    if ((rc = store_begin(c, err)) < 0)
        goto out;
    /* On one of the real districts (demo_load_district) the plan covers its envelope. */
    if ((rc = store_one_text(c, "SELECT code FROM regions WHERE level = 'district' ORDER BY code",
                             STORE_NO_ARGS, &a, &code, err)) < 0)
        goto rollback;
    if ((real = demo_district_find(code)) != NULL)
        demo_district_envelope(real, bbox);
    if ((rc = demo_reg_generate_in(&a, addresses, real ? bbox : demo_district_bbox, &r, err)) < 0 ||
        (rc = build_grids(c, &a, &grids, err)) < 0)
        goto rollback;
    if (real)
        clip(&r, grids, real->name, &a);
    if ((rc = write_register(c, grids, &r, now, &a, err)) < 0)
        goto rollback;
    rep->roads = (int)r.nroads;
    rep->areas = (int)r.nareas;
    rep->buildings = (int)r.nbuildings;
    rep->points = (int)r.npoints;
    rep->places = (int)r.nplaces;
    char *summary =
        arena_printf(&a, "{\"roads\":%d,\"areas\":%d,\"buildings\":%d,\"points\":%d,\"places\":%d}",
                     rep->roads, rep->areas, rep->buildings, rep->points, rep->places);
    struct audit_entry e = {0, "gridloop init", "demo.register", "addr", NULL, summary};
    if ((rc = audit_append(c, &e, now, err)) < 0)
        goto rollback;
    rc = store_commit(c, err);
    goto out;
rollback:
    store_rollback(c);
out:
    geo_index_free(grids);
    arena_release(&a);
    return rc;
}
