-- 0035: the standard address register (标准地址库, GB/T 30428): roads, address points,
-- buildings, places of interest, and the water and green areas the basemap draws. Every row is
-- resolved to the grid it lies in (region_id, the deepest region of the tree holding its point)
-- when it is written. Geometries are GeoJSON in WGS84, [lon, lat]; each keeps its bounding box
-- so the basemap and the walking graph read a window of the city with an index, not a scan.
-- 'code' is the register's own stable key (import files name rows by it; re-importing a code
-- updates that row), unique per table.

CREATE TABLE addr_roads (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('trunk', 'primary', 'secondary', 'branch', 'path')),
    geometry    TEXT    NOT NULL,             -- LineString or MultiLineString
    min_lon     REAL    NOT NULL,
    min_lat     REAL    NOT NULL,
    max_lon     REAL    NOT NULL,
    max_lat     REAL    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX addr_roads_name ON addr_roads(name);
CREATE INDEX addr_roads_box ON addr_roads(min_lon, max_lon, min_lat, max_lat);

CREATE TABLE addr_buildings (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    compound    TEXT    NOT NULL DEFAULT '',  -- 小区 / 院落, '' for a building on a street
    number      TEXT    NOT NULL DEFAULT '',  -- 楼栋 number as written in the standard form, e.g. '3幢'
    use         TEXT    NOT NULL DEFAULT 'residential'
                CHECK (use IN ('residential', 'commercial', 'public', 'industrial', 'other')),
    floors      INTEGER,
    footprint   TEXT    NOT NULL,             -- Polygon
    lat         REAL    NOT NULL,             -- a point inside the footprint
    lon         REAL    NOT NULL,
    min_lon     REAL    NOT NULL,
    min_lat     REAL    NOT NULL,
    max_lon     REAL    NOT NULL,
    max_lat     REAL    NOT NULL,
    region_id   INTEGER REFERENCES regions(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX addr_buildings_box ON addr_buildings(min_lon, max_lon, min_lat, max_lat);
CREATE INDEX addr_buildings_region ON addr_buildings(region_id);

-- An address point: road + house number (锦绣路88号), or compound + building + unit
-- (锦绣花园3幢2单元), or both. 'address' is the standard written form, 'norm' what the
-- normaliser makes of it (the geocoder's key).
CREATE TABLE addr_points (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    road_id     INTEGER REFERENCES addr_roads(id),
    house_no    TEXT    NOT NULL DEFAULT '',  -- '88号', '12弄3号'
    compound    TEXT    NOT NULL DEFAULT '',
    building    TEXT    NOT NULL DEFAULT '',  -- '3幢'
    unit        TEXT    NOT NULL DEFAULT '',  -- '2单元'
    building_id INTEGER REFERENCES addr_buildings(id),
    address     TEXT    NOT NULL,
    norm        TEXT    NOT NULL,
    lat         REAL    NOT NULL,
    lon         REAL    NOT NULL,
    region_id   INTEGER REFERENCES regions(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX addr_points_road ON addr_points(road_id);
CREATE INDEX addr_points_norm ON addr_points(norm);
CREATE INDEX addr_points_region ON addr_points(region_id);
CREATE INDEX addr_points_pos ON addr_points(lon, lat);

CREATE TABLE addr_places (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    type        TEXT    NOT NULL CHECK (type IN ('school', 'kindergarten', 'hospital', 'clinic',
                    'pharmacy', 'market', 'supermarket', 'park', 'government', 'police',
                    'community_centre', 'elderly_care', 'sports', 'library', 'bus_stop',
                    'metro', 'toilet', 'other')),
    point_id    INTEGER REFERENCES addr_points(id),
    address     TEXT    NOT NULL DEFAULT '',
    lat         REAL    NOT NULL,
    lon         REAL    NOT NULL,
    region_id   INTEGER REFERENCES regions(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX addr_places_type ON addr_places(type);
CREATE INDEX addr_places_region ON addr_places(region_id);
CREATE INDEX addr_places_pos ON addr_places(lon, lat);

-- Areas drawn under everything else: water (河, 湖) and green (公园绿地, 广场).
CREATE TABLE addr_areas (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('water', 'green')),
    name        TEXT    NOT NULL DEFAULT '',
    geometry    TEXT    NOT NULL,             -- Polygon or MultiPolygon
    min_lon     REAL    NOT NULL,
    min_lat     REAL    NOT NULL,
    max_lon     REAL    NOT NULL,
    max_lat     REAL    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX addr_areas_box ON addr_areas(min_lon, max_lon, min_lat, max_lat);

-- Bumped in the transaction of every register write, so each server process (and each node of
-- a cluster) notices a change and reloads its geocoding index and basemap cache.
CREATE TABLE addr_version (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    version     INTEGER NOT NULL
);
INSERT INTO addr_version (id, version) VALUES (1, 0);
