/// Waits, for a bounded time, for what another thread or process brings about.
///
/// ```swift
/// try await Polling.eventually { upstream.closedConnections.count == 1 }
/// #expect(upstream.closedConnections.count == 1)
/// ```
public enum Polling {
    /// Checks `condition` every 20 ms until it holds or `limit` passes (the caller then
    /// asserts it, so a timeout reads as the failed expectation).
    public static func eventually(within limit: Duration = .seconds(10), _ condition: () -> Bool) async throws {
        let started = ContinuousClock.now
        while !condition(), ContinuousClock.now - started < limit { try await Task.sleep(for: .milliseconds(20)) }
    }
}
