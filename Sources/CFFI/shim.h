/* The system's libffi (Debian libffi-dev), for the plugin command call path
 * (Sources/BifrostNativePlugins/NativeCommand.swift). libffi's types are C globals, which
 * Swift 6 treats as shared mutable state; these accessors hand out their addresses instead. */
#include <ffi.h>

static inline ffi_type *bifrost_ffi_type_void(void) { return &ffi_type_void; }
static inline ffi_type *bifrost_ffi_type_sint64(void) { return &ffi_type_sint64; }
static inline ffi_type *bifrost_ffi_type_sint32(void) { return &ffi_type_sint32; }
static inline ffi_type *bifrost_ffi_type_double(void) { return &ffi_type_double; }
static inline ffi_type *bifrost_ffi_type_pointer(void) { return &ffi_type_pointer; }

/* ffi_prep_cif with the platform's default calling convention. */
static inline ffi_status bifrost_ffi_prep_cif(ffi_cif *cif, unsigned int nargs, ffi_type *rtype, ffi_type **atypes) {
    return ffi_prep_cif(cif, FFI_DEFAULT_ABI, nargs, rtype, atypes);
}
