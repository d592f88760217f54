/* The reply-quality check (triage_reply.c): each signal on a reply written to show it. */
#include "test.h"
#include "triage/triage.h"

static const char *const complaint =
    "小区门口垃圾堆积三天没人清理，气味很大，夏天苍蝇很多，希望环卫部门尽快清运";

TEST(triage_reply_a_good_reply_passes)
{
    struct triage_reply r;
    triage_reply_check(
        complaint,
        "您好！您反映的小区门口垃圾堆积问题，环卫所已于 6 月 3 日安排清运车辆清理完毕，"
        "并增加每日清运一次。如有疑问请联系环卫所，电话 0571-86900104。",
        &r);
    CHECK(!r.flagged && !r.empty && !r.off_topic && !r.no_action && !r.no_detail,
          "flagged %d empty %d off %d act %d det %d topic %.3f", r.flagged, r.empty, r.off_topic,
          r.no_action, r.no_detail, r.topic);
}

TEST(triage_reply_greetings_alone_are_empty)
{
    struct triage_reply r;
    triage_reply_check(complaint, "网友您好！您的留言已收悉。感谢您对我们工作的支持、理解与监督！",
                       &r);
    CHECK(r.empty && r.flagged, "empty %d flagged %d", r.empty, r.flagged);
}

TEST(triage_reply_another_subject_is_off_topic)
{
    struct triage_reply r;
    triage_reply_check(
        complaint,
        "关于新生儿医保参保，请携带出生医学证明和户口簿到街道便民服务中心医保窗口办理，"
        "工作日均可受理，咨询电话 0571-86900113。",
        &r);
    CHECK(r.off_topic && r.flagged, "off %d topic %.3f", r.off_topic, r.topic);
}

TEST(triage_reply_without_action_or_detail_is_flagged)
{
    struct triage_reply r;
    triage_reply_check(complaint,
                       "关于小区门口垃圾堆积的情况，相关部门高度重视，垃圾问题关系到居民生活环境。",
                       &r);
    CHECK(r.no_action && r.no_detail && r.flagged && !r.off_topic, "act %d det %d off %d",
          r.no_action, r.no_detail, r.off_topic);
    triage_reply_check(NULL, NULL, &r);
    CHECK(r.empty && r.flagged, "nothing at all is empty");
}

TEST(triage_reply_print_ignores_dates_and_set_phrases)
{
    char a[TRIAGE_VERSION_SIZE], b[TRIAGE_VERSION_SIZE], c[TRIAGE_VERSION_SIZE];
    CHECK(triage_reply_print(
              "网友您好！您反映的问题已转交属地街道核查处理，预计3个工作日内办结，请留意短信通知。",
              a),
          "a template has a print");
    CHECK(triage_reply_print(
              "您反映的问题已转交属地街道核查处理,预计15个工作日内办结，请留意短信通知！谢谢", b),
          "so has the same with another number, other punctuation, no greeting");
    CHECK(strcmp(a, b) == 0 && strlen(a) == 16, "and they are equal: %s %s", a, b);
    CHECK(triage_reply_print(
              "您反映的问题已转交城管执法中队核查处理，预计3个工作日内办结，请留意短信通知。", c),
          "another text");
    CHECK(strcmp(a, c) != 0, "differs");
    CHECK(!triage_reply_print("您好，留言已收悉，谢谢", c) && c[0] == '\0', "too little substance");
    CHECK(!triage_reply_print(NULL, c), "no reply");
}
