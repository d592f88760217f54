/*
 * mask: personal data shown masked by default. A phone number keeps its first three and
 * last four digits ("138****8000"); shorter values keep only their last two characters.
 * Pure functions.
 */
#ifndef GRIDLOOP_CORE_MASK_H
#define GRIDLOOP_CORE_MASK_H

#include <stddef.h>

/* Write the masked form of 'phone' into out (n bytes). Empty in, empty out. */
void mask_phone(const char *phone, char *out, size_t n);

/* Masked personal name: first character kept, the rest replaced ("张**"). UTF-8 aware. */
void mask_name(const char *name, char *out, size_t n);

#endif /* GRIDLOOP_CORE_MASK_H */
