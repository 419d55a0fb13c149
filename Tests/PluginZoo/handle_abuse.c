/* A plugin that misuses its handles, for the host's handle checks (PluginSDK/DESIGN.md §3).
 *   MODE 1: its PreHook passes garbage handles (a made-up address, a small integer, a real
 *           handle with its address changed) to an accessor.
 *   MODE 2: its first PreHook keeps the request handle and starts a thread of its own that
 *           writes a model through it, 300 times a millisecond apart, while other requests run.
 *   MODE 3: each PreHook reads the model through the request handle kept from the previous one.
 */
#define _POSIX_C_SOURCE 200809L
#include <bifrost_plugin.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

static const bifrost_host_api *host;
static bifrost_request *kept;
#if MODE == 2
static pthread_t thread;
static int started;

static void *hijack(void *unused) {
    (void)unused;
    struct timespec pause = {0, 1000000};
    for (int i = 0; i < 300; i++) {
        host->request_set_model(kept, BIFROST_STR("hijacked"));
        nanosleep(&pause, NULL);
    }
    return NULL;
}
#endif

static bifrost_hook_action pre(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance;
    (void)ctx;
    (void)out;
    bifrost_str model;
#if MODE == 1
    bifrost_status made_up = host->request_get_model((bifrost_request *)(uintptr_t)0xdeadbeef0, &model);
    bifrost_status small = host->request_get_model((bifrost_request *)(uintptr_t)0x12, &model);
    bifrost_status moved = host->request_get_model((bifrost_request *)((uintptr_t)req ^ 0x100000), &model);
    if (made_up == BIFROST_OK || small == BIFROST_OK || moved == BIFROST_OK) return BIFROST_ACTION_FAULT;
#elif MODE == 2
    if (!started) {
        started = 1;
        kept = req;
        pthread_create(&thread, NULL, hijack, NULL);
        pthread_detach(thread);
    }
    (void)model;
#elif MODE == 3
    if (kept) host->request_get_model(kept, &model);
    kept = req;
#endif
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_plugin plugin = {
    .struct_size = sizeof(bifrost_plugin),
    .abi_major = BIFROST_ABI_VERSION_MAJOR,
    .abi_minor = BIFROST_ABI_VERSION_MINOR,
    .name = "handle-abuse",
    .version = "1.0.0",
    .pre_hook = pre,
};

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *api, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)token;
    (void)config;
    (void)config_len;
    host = api;
    return &plugin;
}
