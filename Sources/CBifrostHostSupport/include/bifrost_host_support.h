/* Host-side helpers that Swift cannot express cheaply. Not part of the plugin ABI. */
#ifndef BIFROST_HOST_SUPPORT_H
#define BIFROST_HOST_SUPPORT_H

/* The calling thread's native plugin session (an unretained Swift object), or NULL. */
void *bifrost_host_thread_session(void);
void bifrost_host_set_thread_session(void *session);

#endif
