#include "bifrost_host_support.h"

/* A compiler thread-local: one instruction to read in the executable, where pthread
 * keys cost a call and a table lookup on every hook. */
static __thread void *thread_session __attribute__((tls_model("initial-exec")));

void *bifrost_host_thread_session(void) { return thread_session; }

void bifrost_host_set_thread_session(void *session) { thread_session = session; }
