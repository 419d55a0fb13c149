#if canImport(Glibc)
    import Glibc
#endif

/// Reads the counters a loaded `counter.c` zoo plugin exports, through `dlsym`.
///
/// ```swift
/// let probe = try CounterProbe(file: path)
/// probe.preCalls()
/// ```
public struct CounterProbe {
    private let pre: @convention(c) () -> UInt64
    private let post: @convention(c) () -> UInt64
    private let destroy: @convention(c) () -> UInt64

    /// A library that is not loaded yet, or lacks the counters.
    public struct NotLoaded: Error { public var file: String }

    /// Finds the already-loaded library by path (never loads a new one).
    public init(file: String) throws {
        guard let library = dlopen(file, RTLD_NOW | RTLD_NOLOAD),
            let pre = dlsym(library, "counter_pre_calls"),
            let post = dlsym(library, "counter_post_calls"),
            let destroy = dlsym(library, "counter_destroy_calls")
        else { throw NotLoaded(file: file) }
        self.pre = unsafeBitCast(pre, to: (@convention(c) () -> UInt64).self)
        self.post = unsafeBitCast(post, to: (@convention(c) () -> UInt64).self)
        self.destroy = unsafeBitCast(destroy, to: (@convention(c) () -> UInt64).self)
    }

    /// PreHook calls so far.
    public func preCalls() -> UInt64 { pre() }
    /// PostHook calls so far.
    public func postCalls() -> UInt64 { post() }
    /// `destroy` calls so far.
    public func destroyCalls() -> UInt64 { destroy() }
}
