/*
 * The SQL that says who is a resident, shared by proposals, votes and the participation rate
 * (particip.c) and consultations (consult.c), so that every part of src/particip reads the same
 * definition. Private to src/particip.
 */
#ifndef GRIDLOOP_PARTICIP_PARTICIP_SQL_H
#define GRIDLOOP_PARTICIP_PARTICIP_SQL_H

/* Where a resident lives (ur): the region an official set on the account, or else the region of
 * the citizen's own profile once it carries an ID number that passed its GB 11643 check digit
 * (src/citizen: an account signed up by SMS code, so the mobile number is verified too). There is
 * no household-registration source to check the address against: a profile's region is the
 * citizen's declaration, tied to a verified number and a valid ID number. */
#define RESIDENT_REGION                                                                            \
    " LEFT JOIN citizen_profiles cp ON cp.user_id = u.id"                                          \
    " JOIN regions ur ON ur.id = coalesce(u.region_id,"                                            \
    "  CASE WHEN cp.id_number_enc <> '' THEN cp.region_id END)"

/* An active citizen account whose region lies in scope 's' (a regions row). */
#define RESIDENT_OF_S                                                                              \
    " u.active <> 0 AND (',' || u.roles || ',') LIKE '%,citizen,%'"                                \
    " AND ur.code LIKE s.code || '%'"

#endif /* GRIDLOOP_PARTICIP_PARTICIP_SQL_H */
