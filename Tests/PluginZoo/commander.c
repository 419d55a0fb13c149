/* Exports commands (ABI 1.5) of every argument and result type that echo what they
 * received, for the command tests. `BROKEN_COMMAND` (1-10) makes one declaration malformed
 * so the loader's refusal of it can be asserted; `TABLE_1_4` returns a table of the 1.4 size
 * (no command fields), which must load with no commands. */
#include <bifrost_plugin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BROKEN_COMMAND
#define BROKEN_COMMAND 0
#endif

static uint64_t touches;
static uint64_t releases;
static int instance_marker;

/* Every command checks it receives the table's instance. */
#define CHECK_INSTANCE(instance) \
    if ((instance) != &instance_marker) abort()

static int64_t add(void *instance, int64_t a, int64_t b) {
    CHECK_INSTANCE(instance);
    return a + b;
}

static double scale(void *instance, double x, double factor) {
    CHECK_INSTANCE(instance);
    return x * factor;
}

static int32_t negate(void *instance, int32_t flag) {
    CHECK_INSTANCE(instance);
    return flag ? 0 : 1;
}

static const char *greet(void *instance, const char *name) {
    CHECK_INSTANCE(instance);
    size_t length = strlen(name) + sizeof "hello, ";
    char *text = malloc(length);
    snprintf(text, length, "hello, %s", name);
    return text;
}

/* Echoes all four argument types in order, so marshalling mistakes show. */
static const char *describe(void *instance, int64_t i, double d, int32_t b, const char *s) {
    CHECK_INSTANCE(instance);
    size_t length = strlen(s) + 96;
    char *text = malloc(length);
    snprintf(text, length, "i=%lld d=%.17g b=%d s=%s", (long long)i, d, (int)b, s);
    return text;
}

static void release(void *instance, const char *result) {
    CHECK_INSTANCE(instance);
    __atomic_add_fetch(&releases, 1, __ATOMIC_SEQ_CST);
    free((void *)result);
}

static void touch(void *instance) {
    CHECK_INSTANCE(instance);
    __atomic_add_fetch(&touches, 1, __ATOMIC_SEQ_CST);
}

/* How often `touch` ran and how many string results were released, as "touches releases". */
static const char *counts(void *instance) {
    CHECK_INSTANCE(instance);
    static __thread char text[64];
    snprintf(text, sizeof text, "%llu %llu", (unsigned long long)__atomic_load_n(&touches, __ATOMIC_SEQ_CST),
             (unsigned long long)__atomic_load_n(&releases, __ATOMIC_SEQ_CST));
    return text;
}

static const char *nothing(void *instance) {
    CHECK_INSTANCE(instance);
    return NULL;
}

/* Sixteen arguments weighted by position: any argument out of place changes the sum. */
static int64_t weigh(void *instance, int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5, int64_t a6, int64_t a7,
                     int64_t a8, int64_t a9, int64_t a10, int64_t a11, int64_t a12, int64_t a13, int64_t a14, int64_t a15,
                     int64_t a16) {
    CHECK_INSTANCE(instance);
    return a1 * 1 + a2 * 2 + a3 * 3 + a4 * 4 + a5 * 5 + a6 * 6 + a7 * 7 + a8 * 8 + a9 * 9 + a10 * 10 + a11 * 11 +
           a12 * 12 + a13 * 13 + a14 * 14 + a15 * 15 + a16 * 16;
}

/* Ends the process: an isolated plugin's crash must fail only the call. */
static void crash(void *instance) {
    CHECK_INSTANCE(instance);
    abort();
}

#define ARG(type, name) {sizeof(bifrost_command_arg), type, name, NULL}
#define COMMAND(result, name, description, args, count, fn, rel) \
    {sizeof(bifrost_command), result, name, description, args, count, (bifrost_command_fn)(fn), rel}

static const bifrost_command_arg add_args[] = {ARG(BIFROST_TYPE_INT64, "a"), ARG(BIFROST_TYPE_INT64, "b")};
static const bifrost_command_arg scale_args[] = {ARG(BIFROST_TYPE_DOUBLE, "x"), ARG(BIFROST_TYPE_DOUBLE, "factor")};
static const bifrost_command_arg negate_args[] = {ARG(BIFROST_TYPE_BOOL, "flag")};
static const bifrost_command_arg greet_args[] = {
    {sizeof(bifrost_command_arg), BIFROST_TYPE_STRING, "name", "who to greet"}};
static const bifrost_command_arg describe_args[] = {ARG(BIFROST_TYPE_INT64, "i"), ARG(BIFROST_TYPE_DOUBLE, "d"),
                                                    ARG(BIFROST_TYPE_BOOL, "b"), ARG(BIFROST_TYPE_STRING, "s")};
static const bifrost_command_arg weigh_args[] = {
    ARG(BIFROST_TYPE_INT64, "a1"),  ARG(BIFROST_TYPE_INT64, "a2"),  ARG(BIFROST_TYPE_INT64, "a3"),
    ARG(BIFROST_TYPE_INT64, "a4"),  ARG(BIFROST_TYPE_INT64, "a5"),  ARG(BIFROST_TYPE_INT64, "a6"),
    ARG(BIFROST_TYPE_INT64, "a7"),  ARG(BIFROST_TYPE_INT64, "a8"),  ARG(BIFROST_TYPE_INT64, "a9"),
    ARG(BIFROST_TYPE_INT64, "a10"), ARG(BIFROST_TYPE_INT64, "a11"), ARG(BIFROST_TYPE_INT64, "a12"),
    ARG(BIFROST_TYPE_INT64, "a13"), ARG(BIFROST_TYPE_INT64, "a14"), ARG(BIFROST_TYPE_INT64, "a15"),
    ARG(BIFROST_TYPE_INT64, "a16"), ARG(BIFROST_TYPE_INT64, "a17")};
static const bifrost_command_arg bad_type_args[] = {ARG(7, "x")};
static const bifrost_command_arg bad_name_args[] = {ARG(BIFROST_TYPE_INT64, "2x")};

static bifrost_command commands[] = {
    COMMAND(BIFROST_TYPE_INT64, "add", "adds two integers", add_args, 2, add, NULL),
    COMMAND(BIFROST_TYPE_DOUBLE, "scale", "multiplies", scale_args, 2, scale, NULL),
    COMMAND(BIFROST_TYPE_BOOL, "negate", NULL, negate_args, 1, negate, NULL),
    COMMAND(BIFROST_TYPE_STRING, "greet", "says hello", greet_args, 1, greet, release),
    COMMAND(BIFROST_TYPE_STRING, "describe", "echoes its arguments", describe_args, 4, describe, release),
    COMMAND(BIFROST_TYPE_VOID, "touch", "counts a call", NULL, 0, touch, NULL),
    COMMAND(BIFROST_TYPE_STRING, "counts", "touches and releases so far", NULL, 0, counts, NULL),
    COMMAND(BIFROST_TYPE_STRING, "nothing", "returns NULL", NULL, 0, nothing, NULL),
    COMMAND(BIFROST_TYPE_INT64, "weigh", "sixteen weighted integers", weigh_args, 16, weigh, NULL),
    COMMAND(BIFROST_TYPE_VOID, "crash", "aborts the process", NULL, 0, crash, NULL),
    /* The last entry is the one a BROKEN_COMMAND build spoils. */
    COMMAND(BIFROST_TYPE_INT64, "spare", NULL, NULL, 0, touch, NULL),
};

static void spoil(bifrost_command *last) {
    switch (BROKEN_COMMAND) {
    case 1: last->name = "Bad Name"; break;
    case 2: last->name = "add"; break;
    case 3: last->result_type = 9; break;
    case 4: last->args = bad_type_args; last->arg_count = 1; break;
    case 5: last->args = weigh_args; last->arg_count = 17; break;
    case 6: last->function = NULL; break;
    case 7: last->release_result = release; break;
    case 8: last->struct_size = 8; break;
    case 9: last->args = bad_name_args; last->arg_count = 1; break;
    case 10: last->args = NULL; last->arg_count = 1; break;
    default: break;
    }
}

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *host, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)host; (void)token; (void)config; (void)config_len;
    size_t count = sizeof commands / sizeof commands[0];
    if (BROKEN_COMMAND) {
        spoil(&commands[count - 1]);
    } else {
        /* "spare" is only the broken builds' victim; `touch` returns void, not int64. */
        count -= 1;
    }
    memset(&table, 0, sizeof table);
    table.struct_size = sizeof table;
    table.abi_major = BIFROST_ABI_VERSION_MAJOR;
    table.abi_minor = BIFROST_ABI_VERSION_MINOR;
    table.name = "commander";
    table.version = "1.0.0";
    table.instance = &instance_marker;
    table.commands = commands;
    table.command_count = count;
#ifdef TABLE_1_4
    table.struct_size = (uint32_t)offsetof(bifrost_plugin, commands);
    table.abi_minor = 4;
#endif
    return &table;
}
