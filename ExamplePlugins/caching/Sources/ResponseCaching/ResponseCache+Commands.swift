public import BifrostPluginSDK

/// The cache's commands (ABI 1.5): `flush` empties it, `stats` describes it, for operators
/// through `POST /api/plugins/caching/commands/{flush,stats}` or `bifrost plugins call`.
extension ResponseCache: CommandProvidingPlugin {
    /// `flush() -> int64` (answers removed) and `stats() -> string` (a JSON object).
    ///
    /// ```swift
    /// ResponseCache.commands.map(\.name)  // ["flush", "stats"]
    /// ```
    public static let commands = [
        PluginCommand(
            name: "flush", description: "removes every stored answer; returns how many there were", result: .int64,
            function: PluginCommand.function(
                { instance in PluginCommand.plugin(instance, as: ResponseCache.self).map { Int64($0.flush()) } ?? -1 }
                    as @convention(c) (UnsafeMutableRawPointer?) -> Int64)),
        PluginCommand(
            name: "stats", description: "entries and bytes held, and the bounds, as a JSON object", result: .string,
            function: PluginCommand.function(
                { instance in PluginCommand.result(PluginCommand.plugin(instance, as: ResponseCache.self)?.statsJSON() ?? "{}") }
                    as @convention(c) (UnsafeMutableRawPointer?) -> UnsafePointer<CChar>?)),
    ]

    /// Removes every stored answer; returns how many there were.
    ///
    /// ```swift
    /// let removed = cache.flush()
    /// ```
    public func flush() -> Int {
        let removed = store.withLock { $0.removeAll() }
        entries.set(0)
        bytes.set(0)
        return removed
    }

    /// `{"entries":n,"bytes":n,"max_entries":n,"max_bytes":n,"ttl_seconds":n}`.
    ///
    /// ```swift
    /// print(cache.statsJSON())  // {"entries":2,"bytes":812,…}
    /// ```
    public func statsJSON() -> String {
        let (count, total) = store.withLock { ($0.count, $0.totalBytes) }
        return #"{"entries":\#(count),"bytes":\#(total),"max_entries":\#(configuration.maxEntries),"#
            + #""max_bytes":\#(configuration.maxBytes),"ttl_seconds":\#(configuration.ttlNanoseconds / 1_000_000_000)}"#
    }
}
