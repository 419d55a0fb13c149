/* A plugin that misbehaves one way (MISBEHAVE) in one hook (HOOK: 1 PreHook, 2 PostHook,
 * 3 ChunkHook), only on requests whose last message contains "misbehave", so the same
 * instance serves every other request normally; the isolation tests count both.
 *
 *    1 a NULL dereference          2 abort()                  3 exit(3)
 *    4 an endless loop             5 sleep(5), blocking       6 a stack overflow
 *    7 a 64 GiB allocation, used   8 garbage handles          9 a handle kept from an earlier call
 *   10 a handle used from its own thread                      11 an index of SIZE_MAX
 *   12 closing descriptors 0-1023 13 its own SIGSEGV handler that returns, then a NULL dereference
 *   14 raise(SIGBUS)              15 chdir("/") in create (the hooks behave)
 *   16 kill(getpid(), SIGKILL), as the kernel's out-of-memory killer would
 *    0 (the default) nothing: a well-behaved plugin
 *
 * Every answer it lets through carries `x-misbehaver: served` and `x-misbehaver-version:
 * VERSION` (a string literal, "1.0.0" unless defined), so a test sees which requests went
 * through which build. With DESTROY_LOG (a path literal), destroy appends "destroyed VERSION"
 * to that file: the only trace a worker process's destroy leaves. */
#define _DEFAULT_SOURCE
#include <bifrost_plugin.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MISBEHAVE
#define MISBEHAVE 0
#endif
#ifndef HOOK
#define HOOK 1
#endif
#ifndef VERSION
#define VERSION "1.0.0"
#endif

static const bifrost_host_api *host;
static bifrost_request *kept_request;

#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) static int overflow(int depth) {
    volatile char frame[256];
    frame[0] = (char)depth;
    return overflow(depth + 1) + frame[0];
}

static void returning_handler(int signal_number) { (void)signal_number; }

static bifrost_request *thread_request;
static bifrost_status thread_status;

static void *use_from_thread(void *unused) {
    (void)unused;
    thread_status = host->request_set_model(thread_request, BIFROST_STR("hijacked"));
    return NULL;
}

/* Misbehaves; returns an action when the misbehaviour is one the hook survives. */
static bifrost_hook_action misbehave(bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)ctx;
    switch (MISBEHAVE) {
    case 1: {
        volatile int *nowhere = NULL;
        *nowhere = 1;
        break;
    }
    case 2: abort();
    case 3: exit(3);
    case 4: {
        volatile unsigned long spins = 0;
        for (;;) spins++;
    }
    case 5: sleep(5); break;
    case 6: (void)overflow(0); break;
    case 7: {
        size_t size = (size_t)64 << 30;
        volatile char *block = malloc(size);
        for (size_t offset = 0; offset < size; offset += 4096) block[offset] = 1;
        break;
    }
    case 8: {
        bifrost_str model;
        host->request_get_model((bifrost_request *)(uintptr_t)0xdeadbeef0, &model);
        break;
    }
    case 9: {
        bifrost_str model;
        host->request_get_model(kept_request, &model);
        break;
    }
    case 10: {
        pthread_t thread;
        thread_request = req;
        pthread_create(&thread, NULL, use_from_thread, NULL);
        pthread_join(thread, NULL);
        if (thread_status == BIFROST_OK) {
            host->report_fault(ctx, BIFROST_STR("a write from another thread was accepted"));
            return BIFROST_ACTION_FAULT;
        }
        return BIFROST_ACTION_CONTINUE;
    }
    case 11: {
        bifrost_response *response;
        bifrost_str content;
        if (host->outcome_get_response(out, &response) == BIFROST_OK) {
            /* count - 1 of an empty response, as a careless loop computes it. */
            host->response_get_content(response, SIZE_MAX, &content);
        }
        break;
    }
    case 12:
        for (int descriptor = 0; descriptor < 1024; descriptor++) close(descriptor);
        break;
    case 13: {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = returning_handler;
        sigaction(SIGSEGV, &action, NULL);
        volatile int *nowhere = NULL;
        *nowhere = 1;
        break;
    }
    case 14: raise(SIGBUS); break;
    case 16: kill(getpid(), SIGKILL); break;
    default: return BIFROST_ACTION_CONTINUE;
    }
    return BIFROST_ACTION_CONTINUE;
}

static int asks_for_it(bifrost_request *req) {
    size_t count = 0;
    if (host->request_message_count(req, &count) != BIFROST_OK || count == 0) return 0;
    bifrost_str role, content;
    if (host->request_message_get(req, count - 1, &role, &content) != BIFROST_OK) return 0;
    static const char trigger[] = "misbehave";
    for (size_t at = 0; at + sizeof trigger - 1 <= content.len; at++) {
        if (memcmp(content.ptr + at, trigger, sizeof trigger - 1) == 0) return 1;
    }
    return 0;
}

static int marked(bifrost_context *ctx) {
    bifrost_value value;
    return host->context_get(ctx, BIFROST_STR("misbehaver.asked"), &value) == BIFROST_OK;
}

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance;
    bifrost_hook_action action = BIFROST_ACTION_CONTINUE;
    if (asks_for_it(req)) {
        bifrost_value yes = {BIFROST_VALUE_BOOL, 1, 0, {NULL, 0}};
        host->context_set(ctx, BIFROST_STR("misbehaver.asked"), &yes);
        if (HOOK == 1) action = misbehave(ctx, req, out);
    }
    kept_request = req;
    host->context_set_response_header(ctx, BIFROST_STR("x-misbehaver"), BIFROST_STR("served"));
    host->context_set_response_header(ctx, BIFROST_STR("x-misbehaver-version"), BIFROST_STR(VERSION));
    return action;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)instance;
    if (HOOK == 2 && marked(ctx)) return misbehave(ctx, kept_request, out);
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action chunk_hook(void *instance, bifrost_context *ctx, bifrost_chunk *chunk, bifrost_outcome *out) {
    (void)instance;
    if (HOOK != 3 || !marked(ctx)) return BIFROST_ACTION_CONTINUE;
    if (MISBEHAVE == 11) {
        bifrost_str content;
        host->chunk_get_content(chunk, SIZE_MAX, &content);
        return BIFROST_ACTION_CONTINUE;
    }
    return misbehave(ctx, kept_request, out);
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) {
    (void)instance;
#ifdef DESTROY_LOG
    FILE *log = fopen(DESTROY_LOG, "a");
    if (log) {
        fprintf(log, "destroyed %s\n", VERSION);
        fclose(log);
    }
#endif
}

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *api, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)token;
    (void)config;
    (void)config_len;
    host = api;
    if (MISBEHAVE == 15 && chdir("/") != 0) return NULL;
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR, "misbehaver", VERSION, 0,
                             NULL, pre_hook, post_hook, destroy, chunk_hook};
    table.capabilities = BIFROST_CAPABILITY_MESSAGE_CONTENT; /* it reads the last message */
    return &table;
}
