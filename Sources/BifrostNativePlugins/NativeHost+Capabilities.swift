import CBifrostPlugin

extension NativeHost {
    // The BIFROST_CAPABILITY_* bits as constants the compiler folds: the accessors test them
    // against the session's bits on every call (PluginSDK/DESIGN.md §6).

    /// `BIFROST_CAPABILITY_CREDENTIALS`.
    @inline(__always) static var credentials: UInt64 { 1 << 0 }
    /// `BIFROST_CAPABILITY_MESSAGE_CONTENT`.
    @inline(__always) static var messageContent: UInt64 { 1 << 1 }
    /// `BIFROST_CAPABILITY_TOOL_CALLS`.
    @inline(__always) static var toolCalls: UInt64 { 1 << 2 }
    /// `BIFROST_CAPABILITY_CALLOUTS`.
    @inline(__always) static var callouts: UInt64 { 1 << 3 }
}
