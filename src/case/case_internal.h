/* Declarations shared by the files of the case module only. */
#ifndef GRIDLOOP_CASE_CASE_INTERNAL_H
#define GRIDLOOP_CASE_CASE_INTERNAL_H

#include <stdint.h>

struct case_actor;

int case_actor_in_departments(const struct case_actor *actor, int64_t dept);

#endif /* GRIDLOOP_CASE_CASE_INTERNAL_H */
