import Foundation

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

    /// Finds the already-loaded library of `file` (never loads a new one). The host opens a
    /// content-named copy of each plugin file, `<hash>-<file name>`, so the library is found by
    /// that name among the loaded objects; give `contentHash` (the file's SHA-256) to pick
    /// one content among several loaded from the same file name.
    public init(file: String, contentHash: String? = nil) throws {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        guard let loaded = Self.loadedName(endingWith: (contentHash.map { String($0.prefix(16)) } ?? "") + "-" + name),
            let library = dlopen(loaded, RTLD_NOW | RTLD_NOLOAD),
            let pre = dlsym(library, "counter_pre_calls"),
            let post = dlsym(library, "counter_post_calls"),
            let destroy = dlsym(library, "counter_destroy_calls")
        else { throw NotLoaded(file: file) }
        self.pre = unsafeBitCast(pre, to: (@convention(c) () -> UInt64).self)
        self.post = unsafeBitCast(post, to: (@convention(c) () -> UInt64).self)
        self.destroy = unsafeBitCast(destroy, to: (@convention(c) () -> UInt64).self)
    }

    /// The last mapped file, in `/proc/self/maps`, whose path ends with `suffix` (a copy the
    /// host unlinked after opening it shows as `(deleted)`).
    private static func loadedName(endingWith suffix: String) -> String? {
        // Read as a stream: procfs files report a size of zero.
        guard let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() else { return nil }
        let maps = String(decoding: data, as: UTF8.self)
        var found: String?
        for line in maps.split(separator: "\n") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            var path = String(line[slash...])
            if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
            if path.hasSuffix(suffix) { found = path }
        }
        return found
    }

    /// PreHook calls so far.
    public func preCalls() -> UInt64 { pre() }
    /// PostHook calls so far.
    public func postCalls() -> UInt64 { post() }
    /// `destroy` calls so far.
    public func destroyCalls() -> UInt64 { destroy() }
}
