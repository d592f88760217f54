/*
 * The outcome of a poll (src/particip): the quorum is a share of the scope's residents, met
 * exactly at the percentage; a tie is not adopted; abstentions count towards the quorum only.
 */
#include "core/mem.h"
#include "particip/particip.h"
#include "test.h"

TEST(particip_outcome_quorum_boundary)
{
    /* 65 % of 20 residents is 13 voters. */
    CHECK_STR_EQ(particip_outcome(20, 12, 65, 12, 0), "no_quorum", "%s", "12 of 20");
    CHECK_STR_EQ(particip_outcome(20, 13, 65, 7, 6), "adopted", "%s", "13 of 20");
    /* 2 of 3 is 66.7 %: meets 65 %, misses 67 %. */
    CHECK_STR_EQ(particip_outcome(3, 2, 65, 2, 0), "adopted", "%s", "2 of 3 at 65");
    CHECK_STR_EQ(particip_outcome(3, 2, 67, 2, 0), "no_quorum", "%s", "2 of 3 at 67");
    CHECK_STR_EQ(particip_outcome(3, 3, 100, 3, 0), "adopted", "%s", "all at 100");
}

TEST(particip_outcome_majority)
{
    CHECK_STR_EQ(particip_outcome(10, 10, 50, 5, 5), "rejected", "%s", "a tie");
    CHECK_STR_EQ(particip_outcome(10, 10, 50, 3, 2), "adopted", "%s", "5 abstain, 3 to 2");
    CHECK_STR_EQ(particip_outcome(10, 10, 50, 0, 0), "rejected", "%s", "all abstain");
    CHECK_STR_EQ(particip_outcome(10, 4, 50, 4, 0), "no_quorum", "%s", "unanimous but too few");
}

TEST(particip_outcome_nobody)
{
    /* Nobody voted: no quorum even at 0 % or with no residents left in the scope. */
    CHECK_STR_EQ(particip_outcome(10, 0, 0, 0, 0), "no_quorum", "%s", "0 % quorum");
    CHECK_STR_EQ(particip_outcome(0, 0, 50, 0, 0), "no_quorum", "%s", "no residents");
    /* Residents who moved away after voting: voters above eligible still decide. */
    CHECK_STR_EQ(particip_outcome(1, 2, 100, 2, 0), "adopted", "%s", "more voters than residents");
}

/* A comment's author as the public sees it: the first character, whole even when it takes
 * several bytes, then one star; nothing of the rest of the name. */
TEST(particip_consult_mask_name)
{
    struct arena a;
    arena_init(&a, 256);
    CHECK_STR_EQ(particip_consult_mask_name("张三丰", &a), "张*", "%s", "a Chinese name");
    CHECK_STR_EQ(particip_consult_mask_name("欧阳娜娜", &a), "欧*", "%s", "a double surname too");
    CHECK_STR_EQ(particip_consult_mask_name("li.wei", &a), "l*", "%s", "a login name");
    CHECK_STR_EQ(particip_consult_mask_name("", &a), "*", "%s", "empty");
    CHECK_STR_EQ(particip_consult_mask_name(NULL, &a), "*", "%s", "none");
    CHECK_STR_EQ(particip_consult_mask_name("\xff\xfe", &a), "*", "%s", "invalid UTF-8");
    arena_release(&a);
}
