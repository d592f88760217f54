/*
 * The demo's labelled set and its triage model, trained at `gridloop init --demo`.
 *
 * Two parts, both written for gridloop: messages phrased the way callers and grid workers
 * phrase them, for the categories a city hears most; and, so that every leaf category can be
 * suggested at all, short reports composed from each category's own name and keywords
 * (demo_data.c) in a few ways people open and close a report. The second part teaches the
 * vocabulary, not the phrasing: a real installation retrains from its own cases
 * (`gridloop triage train --from-db`).
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "demo/demo.h"
#include "demo/demo_data.h"
#include "store/store.h"
#include "triage/triage.h"

#define ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *code;
    const char *text;
} written[] = {
    {"010101", "小区门口的空地上堆了一大堆生活垃圾，好几天没人清理，苍蝇很多"},
    {"010101", "桂香路公交站旁边有人乱扔垃圾袋，风一吹满地都是"},
    {"010102", "菜市场后面的垃圾桶已经满了溢出来，汤汤水水流了一地，臭得很"},
    {"010102", "明湖社区12幢楼下垃圾箱满溢，早上到现在都没人来清运"},
    {"010103", "滨河路这一段路面很脏，全是泥浆和落叶，环卫好像很久没扫了"},
    {"010104", "有人把装修拆下来的建筑垃圾倒在绿化带边上，堆了一个多月"},
    {"010105", "公园东门的公厕冲水坏了，厕所里异味很重，门也关不上"},
    {"010106", "我们小区垃圾分类形同虚设，清运车来了把分好的垃圾又混在一起装走"},
    {"010201", "学府路人行道上每天晚上都有人摆摊卖水果，行人只能走到机动车道上"},
    {"010202", "锦绣路那家饭店把桌子摆到店门外的人行道上，占了一大半"},
    {"010203", "地铁口有好几辆三轮车流动叫卖，城管一走又回来"},
    {"010205", "楼下烧烤店在露天烤串，油烟呛得我们家不敢开窗"},
    {"010206", "小区里有辆没牌照的车停了两年多，积灰很厚，轮胎都瘪了，是僵尸车"},
    {"010301", "单元楼道墙上贴满了开锁办证的小广告，刚刷的墙又被喷涂了"},
    {"010305", "商场外墙的大广告牌有一角松动了，今天风大一直在晃，怕掉下来砸到人"},
    {"010401", "隔壁邻居正在楼顶加盖一层，天天施工，应该是违章搭建"},
    {"010402", "一楼住户把院子围起来建了阳光房，已经好几年了，属于违建"},
    {"010502", "楼上空调外机装得太低，一直往下滴水，走路经过都被淋到"},
    {"020101", "青石路靠近小学那段路面坑坑洼洼，电动车骑过去差点摔倒"},
    {"020102", "南塘路中间突然塌陷出一个大坑，有一米多深，车辆都在绕行"},
    {"020103", "人行道地砖松动翘起来了，一踩就溅一身泥水"},
    {"020104", "一下雨柳湾路地下通道就积水，水深到膝盖，车都过不去"},
    {"020201", "星光路口有个井盖不见了，窨井敞着口，晚上很危险"},
    {"020202", "小区门口井盖碎裂了一半，已经有人差点踩空"},
    {"020203", "家门口马路上的井盖一有车压过就咣当咣当响，晚上吵得睡不着"},
    {"020301", "竹韵路一整排路灯都不亮，晚上黑漆漆的，老人不敢出门散步"},
    {"020302", "大白天的滨河路路灯全亮着，太浪费电了"},
    {"020304", "路灯杆底下的检修门开着，里面电线裸露，小孩经常在旁边玩，怕触电"},
    {"020401", "我们这栋楼的下水道堵了，一楼卫生间往上反水"},
    {"020402", "路边的污水井往外冒污水，漫到人行道上，臭气熏天"},
    {"020602", "电线杆上的网线垂下来快碰到头了，车经过时会刮到"},
    {"020603", "路边消火栓被车撞坏了，一直在喷水"},
    {"030201", "小区里的大树长得太高，树枝伸进我家窗户，挡光还招虫子，希望修剪一下"},
    {"030202", "昨晚大风把路边的树吹断了，大树枝横在路上挡住了车道"},
    {"030301", "公园里的儿童滑梯坏了一个口子，很容易划伤小孩"},
    {"040102", "12路公交车司机开车太猛，急刹车好几次，态度也很差"},
    {"040103", "希望增加早高峰的公交班次，等二十多分钟都挤不上车"},
    {"040201", "在火车站打出租车，司机嫌路近拒载，还有的故意绕路"},
    {"040301", "小区门口的消防通道上天天停满私家车，乱停放严重"},
    {"040302", "地铁站出口电动车和自行车乱停乱放，把盲道都占了"},
    {"040303", "共享单车堆在学校门口，堆得像小山一样，没人管理"},
    {"040401", "白鹭路和学府路交叉口的红绿灯坏了，一直闪黄灯，很容易出事故"},
    {"050101", "物业公司不作为，楼道灯坏了一个月也不修，保安也经常不在岗"},
    {"050102", "物业费突然涨价也没开业主大会，收费不透明"},
    {"050201", "楼上卫生间漏水，我家天花板都发霉了，找物业也不处理"},
    {"050202", "单元电梯三天两头出故障，老人上下楼很困难"},
    {"050203", "电梯困人了！三号楼电梯卡在七楼和八楼之间，里面有老人和孩子"},
    {"050205", "老小区想加装电梯，不知道要什么手续，补贴政策是怎样的"},
    {"050503", "工地出入口没有冲洗车辆，渣土车带泥上路，路面全是泥"},
    {"050504", "工地的塔吊下面没有防护，钢管从高处掉下来，太危险了"},
    {"060101", "我们小区从早上就停水了，也没有提前通知，什么时候能恢复"},
    {"060102", "住在高层水压太低，热水器都点不着火"},
    {"060103", "自来水打开是黄色的，还有一股怪味，不敢喝"},
    {"060104", "路边供水管道爆管了，水哗哗往外冒，路面都淹了"},
    {"060201", "我们这片区域突然停电了，冰箱里东西都要坏了，请问什么时候来电"},
    {"060301", "楼道里有很浓的煤气味，怀疑燃气泄漏，赶紧派人来看看"},
    {"060302", "厨房里闻到燃气味，已经关了阀门开了窗"},
    {"060401", "家里暖气不热，室温才十五度，老人孩子都冻感冒了"},
    {"070101", "工地每天晚上十一点以后还在施工打桩，噪声太大根本睡不着"},
    {"070103", "楼下广场舞音响声音太大，每天晚上吵到十点"},
    {"070104", "沿街商铺用大喇叭循环播放促销广告，吵死了"},
    {"070201", "楼下饭店的油烟直排到我们家窗户上，油烟管道没有净化"},
    {"070203", "附近化工厂经常排放刺鼻的异味，晚上特别明显"},
    {"070204", "工地没有覆盖防尘网，一刮风扬尘满天飞"},
    {"070205", "村口有人露天焚烧垃圾和秸秆，黑烟很大"},
    {"070301", "小区旁边的河水发黑发臭，还漂着死鱼"},
    {"080101", "在那家餐馆吃饭发现菜里有虫子，后厨卫生很差"},
    {"080102", "超市货架上卖过期的牛奶和面包，生产日期都过了"},
    {"080103", "昨晚在外面吃完饭，一家人上吐下泻，怀疑食物中毒"},
    {"080303", "健身房突然关门跑路了，办的预付卡还有三千多没用完，要求退费"},
    {"080304", "网购的手机收到是坏的，商家不给退换"},
    {"090101", "公司已经拖欠我们三个月的工资了，老板一直说没钱"},
    {"090102", "在工地干了半年活，包工头跑了，农民工工资一分没拿到"},
    {"090201", "公司不跟我签劳动合同，现在要辞退我也不给补偿"},
    {"090301", "单位没有给我缴纳社保，怎么投诉"},
    {"090501", "异地就医住院的费用怎么报销，医保结算比例是多少"},
    {"100101", "在医院做手术出了问题，院方推卸责任，医疗纠纷怎么解决"},
    {"100202", "孩子该打第二针疫苗了，社区卫生服务中心一直约不上"},
    {"110101", "孩子明年上小学，想咨询一下入学政策和需要准备的材料"},
    {"110201", "学校门口的马路没有斑马线，孩子放学过马路太危险"},
    {"110301", "家附近的校外培训机构收了一年的学费后关门了"},
    {"120102", "社区的老年食堂饭菜太贵了，能不能给高龄老人一些助餐补贴"},
    {"120201", "家里生活困难，想申请低保，需要什么条件和材料"},
    {"120501", "隔壁独居老人好几天没出门，敲门也没人应，担心出事"},
    {"130101", "对面楼里冒出很大的黑烟，好像着火了，快派消防车"},
    {"130102", "小区消防通道被堆放的杂物和车辆堵死了，消防车根本进不来"},
    {"130104", "有人把电动车推进楼道里充电，电线从窗户拉下来，很容易起火"},
    {"130105", "楼道里堆满了纸箱和旧家具，存在消防隐患"},
    {"130303", "高层住户阳台上的花盆摆在外面，风一吹就可能掉下来"},
    {"130304", "连续下雨后山坡上的土开始往下滑，下面就是居民房"},
    {"130501", "暴雨后小区地下车库进水了，水还在往里漫，很多车被淹"},
    {"130603", "接到冒充公检法的诈骗电话，让我转账到安全账户"},
    {"130604", "小区里有人遛狗不拴绳，大狗追着小孩跑，还有流浪狗咬人"},
};

size_t demo_triage_messages_count(void)
{
    return ARRAY_COUNT(written);
}

const char *demo_triage_message(size_t i, const char **code)
{
    i %= ARRAY_COUNT(written);
    *code = written[i].code;
    return written[i].text;
}

static const char *const openings[] = {"", "你好，", "反映一下：", "我是附近居民，",
                                       "网格巡查发现："};
static const char *const places[] = {"青石街道", "明湖社区", "柳湾路",       "锦绣小区",
                                     "白鹭街道", "滨河路",   "松岭镇石桥村", "学府路口"};
static const char *const closings[] = {"，请尽快处理。", "，希望相关部门管一管。",
                                       "，已经好几天了。", "，麻烦派人来看看。", "。"};

#define COMPOSED_PER_CATEGORY 6

/* Keyword i of a space-separated list, into 'out'; "" past the end. */
static void keyword(const char *list, int i, char *out, size_t cap)
{
    const char *p = list;
    out[0] = '\0';
    while (*p == ' ')
        p++;
    for (; i > 0 && *p; i--) {
        p = strchr(p, ' ');
        if (!p)
            return;
        while (*p == ' ')
            p++;
    }
    size_t n = strcspn(p, " ");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static int count_keywords(const char *list)
{
    int n = 0;
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        n++;
        p += strcspn(p, " ");
    }
    return n;
}

int demo_triage_train(struct store *st, const char *model_path, int64_t now, struct err *err)
{
    struct arena a;
    struct triage_model *m = NULL;
    struct store_conn *c;
    size_t cap = ARRAY_COUNT(written) + demo_categories_count * COMPOSED_PER_CATEGORY, n = 0;
    int rc;
    arena_init(&a, 1 << 16);
    const char **texts = arena_alloc(&a, cap * sizeof(char *));
    const char **labels = arena_alloc(&a, cap * sizeof(char *));
    for (size_t i = 0; i < ARRAY_COUNT(written); i++) {
        texts[n] = written[i].text;
        labels[n++] = written[i].code;
    }
    for (size_t i = 0; i < demo_categories_count; i++) {
        const struct demo_category *k = &demo_categories[i];
        if (strlen(k->code) != 6)
            continue; /* leaves only: the API sums a leaf's probability up to its parents */
        int nk = count_keywords(k->keywords);
        for (int j = 0; j < COMPOSED_PER_CATEGORY; j++) {
            char k1[64], k2[64];
            keyword(k->keywords, nk ? j % nk : 0, k1, sizeof(k1));
            keyword(k->keywords, nk ? (j + 2) % nk : 0, k2, sizeof(k2));
            size_t o = (i + (size_t)j) % ARRAY_COUNT(openings),
                   p = (i * 3 + (size_t)j) % ARRAY_COUNT(places),
                   e = (i + (size_t)j * 2) % ARRAY_COUNT(closings);
            /* Every other report names the category the way a caller would, the rest only
             * describe what they see. */
            texts[n] = j % 2 ? arena_printf(&a, "%s%s%s，%s%s", openings[o], places[p], k1, k2,
                                            closings[e])
                             : arena_printf(&a, "%s%s有%s问题，%s%s%s", openings[o], places[p],
                                            k->name, k1, k2, closings[e]);
            labels[n++] = k->code;
        }
    }
    struct triage_train_opts opts = {.threads = 1};
    if ((rc = triage_train(texts, labels, n, &opts, &m, err)) < 0 ||
        (rc = triage_model_save(m, model_path, err)) < 0)
        goto out;
    if ((rc = store_conn(st, &c, err)) < 0)
        goto out;
    if (store_run(
            c,
            "INSERT INTO triage_trainings(at, version, examples, labels, source, actor) VALUES (?, ?, ?, ?, 'demo', 'init')",
            STORE_ARGS(store_i64(now), store_text(triage_model_version(m)), store_i64((int64_t)n),
                       store_i64(triage_model_nlabels(m))),
            err) < 0)
        rc = err->code;
out:
    triage_model_free(m);
    arena_release(&a);
    return rc;
}
