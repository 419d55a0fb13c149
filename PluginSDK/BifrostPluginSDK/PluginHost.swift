#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The host's services that outlive a hook: its ABI version, the monotonic clock and the
/// plugin's logger.
///
/// Available at creation as ``PluginConfiguration/host`` and in hooks as
/// ``HookContext/host``; keep it in your plugin freely (it is `Sendable`).
///
/// ```swift
/// let start = host.monotonicNanoseconds()
/// ```
public struct PluginHost: @unchecked Sendable {
    // The host table is owned by the host and valid for the life of the process.
    /// The raw host table, for services newer than this SDK (check `struct_size` first).
    /// `nil` for a plugin constructed outside a host.
    ///
    /// ```swift
    /// if let api = host.api, api.pointee.abi_minor >= 1 { /* use a 1.1 service */ }
    /// ```
    public let api: UnsafePointer<bifrost_host_api>?
    /// The token identifying this plugin to the host.
    ///
    /// ```swift
    /// _ = host.api?.pointee.log?(host.token, BIFROST_LOG_INFO, message)
    /// ```
    public let token: OpaquePointer?

    init(api: UnsafePointer<bifrost_host_api>?, token: OpaquePointer?) {
        self.api = api
        self.token = token
    }

    /// A stand-in for constructing a plugin outside a host (plain unit tests): no logging,
    /// the system's monotonic clock.
    ///
    /// ```swift
    /// let plugin = try MyPlugin(configuration: PluginConfiguration(text: "{}", host: .detached))
    /// ```
    public static var detached: PluginHost { PluginHost(api: nil, token: nil) }

    /// The host's ABI version, e.g. `(1, 0)`; this SDK's own version when detached.
    ///
    /// ```swift
    /// host.abiVersion.minor >= 1
    /// ```
    public var abiVersion: (major: Int, minor: Int) {
        guard let api else { return (Int(BIFROST_ABI_VERSION_MAJOR), Int(BIFROST_ABI_VERSION_MINOR)) }
        return (Int(api.pointee.abi_major), Int(api.pointee.abi_minor))
    }

    /// The logger attributed to this plugin.
    ///
    /// ```swift
    /// host.logger.info("hello")
    /// ```
    public var logger: PluginLogger { PluginLogger(host: api, token: token) }

    /// The host's monotonic clock in nanoseconds, for measuring durations.
    ///
    /// ```swift
    /// let elapsed = host.monotonicNanoseconds() - start
    /// ```
    @inline(__always)
    public func monotonicNanoseconds() -> UInt64 {
        if let now = api?.pointee.monotonic_now_ns { return now() }
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
