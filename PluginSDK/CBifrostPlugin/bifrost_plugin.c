/* Compiles the ABI header as strict C99 so a change that only C compilers reject fails
 * the package build, and pins the layout facts the host relies on. */
#include "bifrost_plugin.h"

typedef char bifrost_assert_struct_size_leads_plugin[offsetof(bifrost_plugin, struct_size) == 0 ? 1 : -1];
typedef char bifrost_assert_struct_size_leads_host[offsetof(bifrost_host_api, struct_size) == 0 ? 1 : -1];
