public import BifrostPluginSDK

/// The limiter's commands (ABI 1.5), for operators through
/// `POST /api/plugins/rate-limiting/commands/{reset,remaining}` or `bifrost plugins call`.
extension RateLimiter: CommandProvidingPlugin {
    /// `reset(client: string) -> bool` and `remaining(client: string) -> int64`.
    ///
    /// ```swift
    /// RateLimiter.commands.map(\.name)  // ["reset", "remaining"]
    /// ```
    public static let commands = [
        PluginCommand(
            name: "reset", description: "refills a client's buckets; whether it had any",
            arguments: [.init(name: "client", type: .string, description: "the client id, as the context's client_id")],
            result: .bool,
            function: PluginCommand.function(
                { instance, client in
                    PluginCommand.plugin(instance, as: RateLimiter.self)?.reset(client: PluginCommand.text(client)) == true
                        ? 1 : 0
                } as @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Int32)),
        PluginCommand(
            name: "remaining",
            description: "requests a client may make now under its tightest client limit; -1 when none applies",
            arguments: [.init(name: "client", type: .string, description: "the client id, as the context's client_id")],
            result: .int64,
            function: PluginCommand.function(
                { instance, client in
                    Int64(
                        PluginCommand.plugin(instance, as: RateLimiter.self)?.remaining(client: PluginCommand.text(client)) ?? -1)
                } as @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Int64)),
    ]

    /// The client-scoped limits that apply to `client`.
    private func clientLimits(_ client: String) -> [Int] {
        configuration.limits.indices.filter { index in
            let limit = configuration.limits[index]
            return limit.scope == .client && (limit.match == nil || limit.match == client)
        }
    }

    /// Refills `client`'s buckets (they are forgotten and start full); whether it had any.
    ///
    /// ```swift
    /// limiter.reset(client: "alice")  // true
    /// ```
    public func reset(client: String) -> Bool {
        let limits = clientLimits(client)
        return buckets.withLock { $0.reset(client, limits: limits) }
    }

    /// The whole requests `client` may make now under its tightest client-scoped request
    /// limit; `-1` when no client-scoped limit counts its requests.
    ///
    /// ```swift
    /// limiter.remaining(client: "alice")  // 9
    /// ```
    public func remaining(client: String) -> Int {
        let limits = clientLimits(client)
        let now = host.monotonicNanoseconds()
        return buckets.withLock { $0.remainingRequests(client, limits: limits, now: now) } ?? -1
    }
}
