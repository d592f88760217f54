/*
 * 2026 public holidays of mainland China, from the State Council General Office notice of
 * November 2025 (国务院办公厅关于2026年部分节假日安排的通知).
 */
#include "cal/cal_cn.h"

static const struct cal_cn_holiday holidays_2026[] = {
    {"元旦", "New Year's Day", {2026, 1, 1}, {2026, 1, 3}, 1, {{2026, 1, 4}}},
    {"春节", "Spring Festival", {2026, 2, 15}, {2026, 2, 23}, 2, {{2026, 2, 14}, {2026, 2, 28}}},
    {"清明节", "Qingming Festival", {2026, 4, 4}, {2026, 4, 6}, 0, {{0, 0, 0}}},
    {"劳动节", "Labour Day", {2026, 5, 1}, {2026, 5, 5}, 1, {{2026, 5, 9}}},
    {"端午节", "Dragon Boat Festival", {2026, 6, 19}, {2026, 6, 21}, 0, {{0, 0, 0}}},
    {"中秋节", "Mid-Autumn Festival", {2026, 9, 25}, {2026, 9, 27}, 0, {{0, 0, 0}}},
    {"国庆节", "National Day", {2026, 10, 1}, {2026, 10, 7}, 2, {{2026, 9, 20}, {2026, 10, 10}}},
};

const struct cal_cn_holiday *cal_cn_holidays_2026(size_t *n)
{
    *n = sizeof(holidays_2026) / sizeof(holidays_2026[0]);
    return holidays_2026;
}

int cal_cn_load_2026(struct cal *c, struct err *err)
{
    return cal_cn_load(c, holidays_2026, sizeof(holidays_2026) / sizeof(holidays_2026[0]), err);
}
