/*
 * gridloop: command-line entry point. Only wires: takes the settings out of argv, looks the
 * command up in the table below and calls it. Each command lives in src/cli/cli_<name>.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/conf.h"
#include "core/err.h"

/* One row per command, in the order `gridloop --help` lists them. */
static const struct cli_command commands[] = {
    {"init", cli_init, NULL,
     "  init --db FILE [--demo] [--demo-password PW] [--demo-cases N] [--demo-addresses N]\n"
     "                                                  create (and migrate) a database; --demo loads demo data,\n"
     "                                                  --demo-cases adds N cases of the last two weeks,\n"
     "                                                  --demo-addresses makes the demo's address register about\n"
     "                                                  N addresses (1000-200000, default 4000; docs/maps.md)\n"
     "       [--district NAME]                          --district builds the demo on a real district (东城区)\n"
     "                                                  instead of the invented 澜溪区 (docs/grid.md section 8)\n"},
    {"serve", cli_serve, NULL,
     "  serve --db FILE [--listen ADDR] [--web DIR]      serve the API and web UI until SIGINT/SIGTERM\n"},
    {"user", cli_user, NULL,
     "  user add --db FILE --name NAME --password PW --role ROLE[,ROLE...]\n"
     "           [--department ID[,ID...]] [--region CODE] [--display-name TEXT] [--phone PHONE]\n"
     "  user passwd --db FILE --name NAME --password PW   set a password (ends the user's sessions)\n"
     "  user list --db FILE                               list users\n"},
    {"audit", cli_audit, NULL,
     "  audit verify --db FILE                            check the audit hash chain\n"
     "  audit verify --db FILE --head LINE|FILE [--public-key HEX]\n"
     "                                                    ...and that it still holds the signed\n"
     "                                                    head(s) given (a line, or a file/log)\n"},
    {"grant", cli_grant, NULL,
     "  grant trace --db FILE EXPORT.csv                 the data grant a leaked export came from, with its\n"
     "                                                  watermark score (docs/data-sharing.md)\n"},
    {"assess", cli_assess, NULL,
     "  assess rebuild --db FILE                          compute the assessment's daily roll-ups again from the\n"
     "                                                  raw cases, events and evaluations (one transaction)\n"},
    {"backup", cli_backup, NULL,
     "  backup --db FILE --out DIR [--with-key]          online copy of the database (while serving) and its\n"
     "                                                  triage model, with a manifest of checksums; the data key\n"
     "                                                  only with --with-key (keep it apart: docs/backup.md)\n"},
    {"restore", cli_restore, NULL,
     "  restore --from DIR --db FILE [--force]           check a backup and put it in place (a database that is\n"
     "                                                  there is replaced only with --force); docs/backup.md\n"},
    {"triage", NULL, cli_triage,
     "  triage train|eval|classify ...                    text classifier (gridloop triage --help)\n"
     "  triage train --from-db --db FILE [--model OUT]   retrain the classifier from closed and classified cases\n"
     "  triage rollback --db FILE [--model OUT]          put back the model the last retraining replaced\n"
     "  triage hot --data FILE.tsv [options]              hot topics in a message file (--help for options)\n"},
    {"open311", cli_open311, NULL,
     "  open311 key add --db FILE --name NAME [--rate-limit N]   issue an Open311 API key (shown once)\n"
     "  open311 key list --db FILE                        list Open311 clients\n"
     "  open311 key revoke --db FILE --name NAME          revoke a client's key\n"},
    {"address", cli_address, NULL,
     "  address import --db FILE IN [--format geojson|csv]\n"
     "                                                  import a register file all or nothing (every failing\n"
     "                                                  line is printed); docs/maps.md\n"
     "  address export --db FILE [--format geojson|csv] [--out OUT]\n"
     "                                                  the address register as a file (stdout without --out)\n"},
    {"region", cli_region, NULL,
     "  region import --db FILE --geojson IN            import regions, grids and micro-grids all or nothing\n"
     "                                                  (exit 0 only if every feature was imported; gaps,\n"
     "                                                  overlaps and regions outside their parent reported)\n"
     "  region export --db FILE [--region CODE] [--out OUT]\n"
     "                                                  the region tree (or CODE's subtree) as GeoJSON\n"},
    {"store", cli_store, NULL,
     "  store copy --from sqlite:FILE --to postgresql://USER@HOST:PORT/DB [--force]\n"
     "                                                  copy a SQLite database, even while it is served, into an\n"
     "                                                  empty PostgreSQL database with its data key, triage model\n"
     "                                                  and attachments (var/DB.*); --force replaces a non-empty one\n"},
    {NULL, NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fputs("usage: gridloop <command> [options]\n\ncommands:\n", out);
    for (const struct cli_command *c = commands; c->name; c++)
        fputs(c->usage, out);
    fputs(
        "  --help, --version\n"
        "\n"
        "roles: citizen, operator, dispatcher, handler, grid_worker, supervisor, data_officer, admin\n"
        "\n",
        out);
    conf_print_help(out);
}

static const struct cli_command *find(int argc, char **argv)
{
    for (const struct cli_command *c = commands; argc > 1 && c->name; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c;
    return NULL;
}

/* LeakSanitizer's hook (read only by the ASan build): cairo keeps a pool of its own, allocated the
 * first time a bulletin PDF is drawn and never handed back, not even by
 * cairo_debug_reset_static_data() (api_bulletin_shutdown releases what can be released). Only
 * that library's allocations are excused; every leak of ours is still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcairo.so\n";
}

int main(int argc, char **argv)
{
    const struct cli_command *cmd = find(argc, argv);
    if (cmd && cmd->main)
        return cmd->main(argc, argv);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("gridloop %s\n", GRIDLOOP_VERSION);
        return 0;
    }

    struct conf cf;
    struct err err = ERR_INIT;
    int rc = cli_setup(&cf, &argc, argv, &err);
    /* Settings may come before the command (gridloop --db FILE user list): look it up again
     * in what is left. A command that sets itself up must come first. */
    if (rc == 0 && argc < 2)
        rc = err_set(&err, ERR_BAD_REQUEST, "no command (see gridloop --help)");
    else if (rc == 0 && (!(cmd = find(argc, argv)) || !cmd->run))
        rc = err_set(&err, ERR_BAD_REQUEST, "unknown command '%s' (see gridloop --help)", argv[1]);
    else if (rc == 0)
        rc = cmd->run(argc, argv, &cf, &err);
    conf_release(&cf);
    return rc < 0 ? cli_fail(&err) : 0;
}
