/* multipart/form-data: one file out of browser-style and hostile bodies. */
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "http/http.h"
#include "test.h"

TEST(multipart_file_table)
{
    static const struct {
        const char *name, *ct, *body;
        int rc;
        const char *data, *field, *filename, *type;
    } rows[] = {
        {"browser form", "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk",
         "------WebKitFormBoundary7MA4YWxk\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n"
         "------WebKitFormBoundary7MA4YWxk\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"IMG_1.jpg\"\r\n"
         "Content-Type: image/jpeg\r\n\r\nJPEGBYTES\r\n------WebKitFormBoundary7MA4YWxk--\r\n",
         0, "JPEGBYTES", "photo", "IMG_1.jpg", "image/jpeg"},
        {"quoted boundary, preamble, field named file",
         "Multipart/Form-Data; charset=utf-8; boundary=\"a;b c\"",
         "preamble\r\n--a;b c\r\ncontent-disposition: form-data; name=file\r\n\r\nXY\r\n--a;b c--",
         0, "XY", "file", NULL, NULL},
        {"escaped quote in filename", "multipart/form-data; boundary=q",
         "--q\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\\\"b.png\"\r\n\r\n\r\n--q--",
         0, "", "f", "a\"b.png", NULL},
        {"data containing the boundary without CRLF", "multipart/form-data; boundary=q",
         "--q\r\nContent-Disposition: form-data; name=f; filename=x\r\n\r\nab--qcd\r\n--q--", 0,
         "ab--qcd", "f", "x", NULL},
        {"no boundary", "multipart/form-data", "--q\r\n\r\nx\r\n--q--", ERR_BAD_REQUEST, NULL, NULL,
         NULL, NULL},
        {"empty boundary", "multipart/form-data; boundary=\"\"", "--\r\n", ERR_BAD_REQUEST, NULL,
         NULL, NULL, NULL},
        {"boundary over 70",
         "multipart/form-data; boundary=12345678901234567890123456789012345678901234567890123456789012345678901",
         "", ERR_BAD_REQUEST, NULL, NULL, NULL, NULL},
        {"not multipart", "image/png", "", ERR_MEDIA_TYPE, NULL, NULL, NULL, NULL},
        {"boundary absent from body", "multipart/form-data; boundary=q", "just text",
         ERR_BAD_REQUEST, NULL, NULL, NULL, NULL},
        {"truncated: no closing boundary", "multipart/form-data; boundary=q",
         "--q\r\nContent-Disposition: form-data; name=f; filename=x\r\n\r\nabc", ERR_BAD_REQUEST,
         NULL, NULL, NULL, NULL},
        {"headers unterminated", "multipart/form-data; boundary=q",
         "--q\r\nContent-Disposition: form-data; name=f", ERR_BAD_REQUEST, NULL, NULL, NULL, NULL},
        {"garbage after boundary", "multipart/form-data; boundary=q", "--qX\r\n\r\nx\r\n--q--",
         ERR_BAD_REQUEST, NULL, NULL, NULL, NULL},
        {"no file part", "multipart/form-data; boundary=q",
         "--q\r\nContent-Disposition: form-data; name=note\r\n\r\nhello\r\n--q--", ERR_BAD_REQUEST,
         NULL, NULL, NULL, NULL},
        {"two files", "multipart/form-data; boundary=q",
         "--q\r\nContent-Disposition: form-data; name=a; filename=a\r\n\r\n1\r\n--q\r\n"
         "Content-Disposition: form-data; name=b; filename=b\r\n\r\n2\r\n--q--",
         ERR_BAD_REQUEST, NULL, NULL, NULL, NULL},
        {"unterminated quoted filename", "multipart/form-data; boundary=q",
         "--q\r\nContent-Disposition: form-data; name=a; filename=\"abc\r\n\r\n1\r\n--q--",
         ERR_BAD_REQUEST, NULL, NULL, NULL, NULL},
        {"empty body", "multipart/form-data; boundary=q", "", ERR_BAD_REQUEST, NULL, NULL, NULL,
         NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct arena a;
        struct http_part p;
        struct err e = ERR_INIT;
        arena_init(&a, 512);
        int rc = http_multipart_file(rows[i].ct, rows[i].body, strlen(rows[i].body), &a, &p, &e);
        CHECK_INT_EQ(rc, rows[i].rc, "row %zu (%s): %s", i, rows[i].name, e.msg);
        if (rc == 0) {
            CHECK(p.len == strlen(rows[i].data) && memcmp(p.data, rows[i].data, p.len) == 0,
                  "row %zu (%s): data '%.*s'", i, rows[i].name, (int)p.len, p.data);
            CHECK_STR_EQ(p.name, rows[i].field, "row %zu (%s): field", i, rows[i].name);
            if (rows[i].filename)
                CHECK_STR_EQ(p.filename, rows[i].filename, "row %zu (%s): filename", i,
                             rows[i].name);
            else
                CHECK(p.filename == NULL, "row %zu (%s): no filename", i, rows[i].name);
            if (rows[i].type)
                CHECK_STR_EQ(p.content_type, rows[i].type, "row %zu (%s): type", i, rows[i].name);
        }
        arena_release(&a);
    }
}

/* Binary data with NULs and CRLFs inside the file survives byte for byte. */
TEST(multipart_binary_file)
{
    static const char head[] =
        "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n\r\n";
    static const char tail[] = "\r\n--b0undary--\r\n";
    char file[256], body[512];
    for (int i = 0; i < 256; i++)
        file[i] = (char)(i % 2 ? '\r' : i);
    file[100] = '\n';
    size_t n = 0;
    memcpy(body, head, sizeof(head) - 1);
    n += sizeof(head) - 1;
    memcpy(body + n, file, sizeof(file));
    n += sizeof(file);
    memcpy(body + n, tail, sizeof(tail) - 1);
    n += sizeof(tail) - 1;
    struct arena a;
    struct http_part p;
    struct err e = ERR_INIT;
    arena_init(&a, 512);
    CHECK_INT_EQ(http_multipart_file("multipart/form-data; boundary=b0undary", body, n, &a, &p, &e),
                 0, "%s", e.msg);
    CHECK(p.len == sizeof(file) && memcmp(p.data, file, sizeof(file)) == 0,
          "file bytes intact (%zu)", p.len);
    arena_release(&a);
}

/* A whole form: text fields in order (repeats kept), files apart, whatever their names. */
TEST(multipart_form_fields_and_files)
{
    static const char ct[] = "multipart/form-data; boundary=xYz";
    static const char body[] =
        "--xYz\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\nk1\r\n"
        "--xYz\r\nContent-Disposition: form-data; name=\"description\"\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
        "井盖\r\n缺失\r\n"
        "--xYz\r\nContent-Disposition: form-data; name=\"attribute[HAZARD][]\"\r\n\r\nhole\r\n"
        "--xYz\r\nContent-Disposition: form-data; name=\"attribute[HAZARD][]\"\r\n\r\nsunk\r\n"
        "--xYz\r\nContent-Disposition: form-data; name=\"media\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nJ\0PG\r\n"
        "--xYz\r\nContent-Disposition: form-data; name=\"photo2\"\r\nContent-Type: image/png\r\n\r\nPNG\r\n"
        "--xYz--\r\n";
    struct arena a;
    struct http_form f;
    struct err e = ERR_INIT;
    arena_init(&a, 512);
    int rc = http_multipart_form(ct, body, sizeof(body) - 1, &a, &f, &e);
    CHECK_INT_EQ(rc, 0, "parsed: %s", e.msg);
    CHECK(f.n == 4, "four fields, got %zu", f.n);
    CHECK_STR_EQ(http_form_get(&f, "api_key"), "k1", "api_key");
    CHECK_STR_EQ(http_form_get(&f, "description"), "井盖\r\n缺失", "a value keeps its line breaks");
    CHECK(http_form_count(&f, "attribute[HAZARD][]") == 2, "repeats kept");
    CHECK(f.nfiles == 2, "two files, got %zu", f.nfiles);
    if (f.nfiles == 2) {
        CHECK(f.files[0].len == 4 && memcmp(f.files[0].data, "J\0PG", 4) == 0,
              "file bytes as sent");
        CHECK_STR_EQ(f.files[0].name, "media", "file field name");
        CHECK_STR_EQ(f.files[1].name, "photo2", "a typed part without filename is a file");
    }
    arena_release(&a);

    static const struct {
        const char *name, *body;
    } bad[] = {
        {"NUL in a text field",
         "--q\r\nContent-Disposition: form-data; name=a\r\n\r\nx\0y\r\n--q--"},
        {"invalid UTF-8", "--q\r\nContent-Disposition: form-data; name=a\r\n\r\n\xc3\x28\r\n--q--"},
        {"field without a name", "--q\r\nContent-Disposition: form-data\r\n\r\nx\r\n--q--"},
        {"truncated", "--q\r\nContent-Disposition: form-data; name=a\r\n\r\nx"},
    };
    static const size_t lens[] = {
        sizeof("--q\r\nContent-Disposition: form-data; name=a\r\n\r\nx\0y\r\n--q--") - 1, 0, 0, 0};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct err e2 = ERR_INIT;
        arena_init(&a, 512);
        size_t len = lens[i] ? lens[i] : strlen(bad[i].body);
        CHECK_INT_EQ(
            http_multipart_form("multipart/form-data; boundary=q", bad[i].body, len, &a, &f, &e2),
            ERR_BAD_REQUEST, "%s", bad[i].name);
        arena_release(&a);
    }
}

/* NUL in a form value or a part's name is refused, not cut short (issue 11, item 18). */
TEST(multipart_form_nul_refused)
{
    static const char ct[] = "multipart/form-data; boundary=XX";
    static const char value[] = "--XX\r\nContent-Disposition: form-data; name=\"description\"\r\n"
                                "\r\nabc\0def\r\n--XX--\r\n";
    static const char name[] = "--XX\r\nContent-Disposition: form-data; name=\"desc\0x\"\r\n"
                               "\r\nabc\r\n--XX--\r\n";
    struct arena a;
    struct http_form f;
    struct err e = ERR_INIT;
    arena_init(&a, 256);
    CHECK_INT_EQ(http_multipart_form(ct, value, sizeof(value) - 1, &a, &f, &e), ERR_BAD_REQUEST,
                 "value: %s", e.msg);
    CHECK_STR_EQ(e.field, "description", "field named");
    err_clear(&e);
    CHECK_INT_EQ(http_multipart_form(ct, name, sizeof(name) - 1, &a, &f, &e), ERR_BAD_REQUEST,
                 "name: %s", e.msg);
    arena_release(&a);
}
