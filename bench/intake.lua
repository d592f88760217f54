-- wrk script for the intake target of bench/intake.sh: POST /api/v1/cases as a hotline operator
-- would, with a realistic body: a 300-character Chinese description, a different title on every
-- request, a leaf category, a location inside the demo district (resolved to a region by the
-- server), an address and the citizen's name and phone (stored encrypted). ~1.3 KB of JSON.
-- Environment: GRIDLOOP_BENCH_TOKEN (bearer token, from the login in bench/intake.sh) and
-- GRIDLOOP_BENCH_CATEGORIES (comma-separated category ids to cycle through; may be empty).
local token = os.getenv("GRIDLOOP_BENCH_TOKEN")
if token == nil or token == "" then
    error("GRIDLOOP_BENCH_TOKEN is not set; bench/intake.sh logs in and exports it")
end
local cats = {}
for id in string.gmatch(os.getenv("GRIDLOOP_BENCH_CATEGORIES") or "", "%d+") do
    cats[#cats + 1] = id
end

-- Exactly 300 characters (checked by bench/intake.sh).
local description = "本人家住西湖区文新街道某小区三号楼，近两个月来，小区东门外的人行道上长期有人乱停电动自行车和共享单车，" ..
    "最多时有四五十辆，把整条人行道堵得严严实实，老人和推婴儿车的居民只能绕到机动车道上行走，早晚高峰时车辆来往很多，非常危险。" ..
    "上周二傍晚，我母亲就在这里被一辆电动车擦碰摔倒，膝盖受伤，至今行动不便。另外，人行道边的排水沟盖板有两块已经断裂，" ..
    "下雨天积水严重，晚上路灯也有三盏不亮，行人很容易踩空。我们曾经向物业反映过多次，物业表示这是市政道路，不归他们管理，" ..
    "一直没有人来处理。希望有关部门尽快派人现场查看，清理乱停放的车辆，设置规范的非机动车停放区，修复盖板和路灯，" ..
    "并加强日常巡查管理，保障居民出行安全。"
local places = {"文三路", "学院路", "古墩路", "天目山路", "教工路", "紫荆花路", "莫干山路", "余杭塘路", "文一西路", "丰潭路", "紫金港路"}
local problems = {"人行道电动车乱停放", "路灯不亮", "窨井盖破损", "垃圾清运不及时", "夜间施工噪音扰民", "占道经营",
                  "雨后积水严重", "共享单车堆积", "绿化带杂草丛生", "楼道堆放杂物"}
local surnames = {"张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴"}

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"

-- Bodies are built once, in init: building a 1.3 KB string per request in Lua would cost wrk's
-- single thread more than the server spends on some requests. 8,192 different requests are
-- cycled through (titles differ in their place, problem and running number).
local reqs = {}
local nreqs = 8192
init = function(args)
    for n = 1, nreqs do
        local title = places[n % #places + 1] .. problems[math.floor(n / #places) % #problems + 1] .. "（" .. n .. "）"
        local cat = ""
        if #cats > 0 then
            cat = "\"category\":" .. cats[n % #cats + 1] .. ","
        end
        local body = "{\"channel\":\"hotline\",\"title\":\"" .. title .. "\",\"description\":\"" .. description .. "\"," ..
            cat ..
            string.format("\"lat\":%.6f,\"lon\":%.6f,", 30.176 + (n % 97) * 0.0005, 120.060 + (n % 89) * 0.0009) ..
            "\"address\":\"" .. places[n % #places + 1] .. (n % 300 + 1) .. "号\"," ..
            "\"citizen\":{\"name\":\"" .. surnames[n % #surnames + 1] .. "先生\",\"phone\":\"1381234" ..
            string.format("%04d", n % 10000) .. "\"}}"
        reqs[n] = wrk.format(nil, nil, nil, body)
    end
end

local i = 0
request = function()
    i = i % nreqs + 1
    return reqs[i]
end
