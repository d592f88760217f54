#!/usr/bin/env python3
"""The synthetic city of bench/grids.c as a region file for `gridloop region import`:
1 district, 40 streets (5 x 8), 1,000 communities (5 x 5 per street) and 25,000 grids
(5 x 5 per community), rectangles of ~217 x 194 m. Usage: region_city.py OUT.geojson"""
import json
import sys

COLS, ROWS, LON0, LAT0, DX, DY = 125, 200, 120.0, 30.0, 0.00225, 0.00175


def rect(x0, y0, x1, y1):
    lo = lambda x: round(LON0 + x * DX, 7)
    la = lambda y: round(LAT0 + y * DY, 7)
    ring = [[lo(x0), la(y0)], [lo(x1), la(y0)], [lo(x1), la(y1)], [lo(x0), la(y1)], [lo(x0), la(y0)]]
    return {"type": "Polygon", "coordinates": [ring]}


def main(out):
    feats = []

    def add(code, name, level, parent, geom):
        props = {"code": code, "name": name, "level": level}
        if parent:
            props["parent_code"] = parent
        feats.append({"type": "Feature", "properties": props, "geometry": geom})

    add("330199", "基准区", "district", None, rect(0, 0, COLS, ROWS))
    for sx in range(5):
        for sy in range(8):
            s = sx * 8 + sy + 1
            sc = "330199%03d" % s
            add(sc, "第%d街道" % s, "street", "330199", rect(sx * 25, sy * 25, sx * 25 + 25, sy * 25 + 25))
            for cx in range(5):
                for cy in range(5):
                    c = cx * 5 + cy + 1
                    cc = sc + "%03d" % c
                    bx, by = sx * 25 + cx * 5, sy * 25 + cy * 5
                    add(cc, "第%d街道第%d社区" % (s, c), "community", sc, rect(bx, by, bx + 5, by + 5))
                    for gx in range(5):
                        for gy in range(5):
                            g = gx * 5 + gy + 1
                            add(cc + "%02d" % g, "第%d网格" % g, "grid", cc,
                                rect(bx + gx, by + gy, bx + gx + 1, by + gy + 1))
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": feats}, f, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
