/* One deliberately broken plugin per BROKEN mode, each breaking one ABI rule:
 *   1 no bifrost_plugin_create symbol      2 NULL with a message     3 NULL without a message
 *   4 ABI major 2                          5 struct_size too small   6 empty name
 *   7 invalid name                         8 NULL name
 *   9 a pre_hook pointing to no code      10 a name pointing nowhere
 *  11 a table pointer to nowhere        12 a post_hook pointing into another library's code (libc's abort) */
#include <bifrost_plugin.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

__attribute__((unused)) static void destroy(void *instance) { (void)instance; }

#if BROKEN == 1
BIFROST_EXPORT int bifrost_plugin_make(void) { return 0; }
#else
static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *host, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)config; (void)config_len;
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR, "broken", "0.0.1", 0,
                             NULL, NULL, NULL, destroy};
#if BROKEN == 2
    host->set_create_error(token, BIFROST_STR("option 'database_url' is required"));
    return NULL;
#elif BROKEN == 3
    (void)host; (void)token;
    return NULL;
#elif BROKEN == 4
    (void)host; (void)token;
    table.abi_major = 2;
    table.abi_minor = 3;
#elif BROKEN == 5
    (void)host; (void)token;
    table.struct_size = 24;
#elif BROKEN == 6
    (void)host; (void)token;
    table.name = "";
#elif BROKEN == 7
    (void)host; (void)token;
    table.name = "Bad Name!";
#elif BROKEN == 8
    (void)host; (void)token;
    table.name = NULL;
#elif BROKEN == 9
    (void)host; (void)token;
    table.pre_hook = (bifrost_pre_hook_fn)(uintptr_t)0x1234;
#elif BROKEN == 10
    (void)host; (void)token;
    table.name = (const char *)(uintptr_t)0x10;
#elif BROKEN == 11
    (void)host; (void)token;
    return (const bifrost_plugin *)(uintptr_t)0xdead0000;
#elif BROKEN == 12
    (void)host; (void)token;
    table.post_hook = (bifrost_post_hook_fn)(uintptr_t)&abort;
#endif
    return &table;
}
#endif
