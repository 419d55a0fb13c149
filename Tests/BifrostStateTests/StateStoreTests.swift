import BifrostState
import BifrostTestSupport
import Testing

/// A store to test, with what it runs on.
struct StoreUnderTest: Sendable {
    var store: any StateStore
    var redis: RedisServer?
    var client: RedisClient?

    static func make(_ backend: Backend) async throws -> StoreUnderTest {
        switch backend {
        case .memory:
            return StoreUnderTest(store: MemoryStateStore(maximumBytes: 1 << 20))
        case .redis:
            let redis = try await RedisServer.start()
            var settings = RedisSettings(host: "127.0.0.1", port: redis.port)
            // What these tests check is what the store keeps, not how fast: a loaded machine may
            // delay a reply past the default half second.
            settings.commandTimeout = .seconds(5)
            let client = RedisClient(settings)
            return StoreUnderTest(
                store: RedisStateStore(client: client, maximumValueBytes: 1 << 20), redis: redis, client: client)
        }
    }

    func stop() {
        client?.close()
        redis?.stop()
    }
}

/// The backends, for tests that must hold on both.
enum Backend: String, CaseIterable, Sendable {
    case memory
    case redis
}

@Suite("state stores: in memory and on a real Redis server", .serialized)
struct StateStoreTests {
    @Test(arguments: Backend.allCases)
    func aCounterCountsWithinItsWindowAndStartsAgainAfterIt(backend: Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { subject.stop() }
        let first = try await subject.store.increment("requests", by: 1, window: .seconds(30))
        let second = try await subject.store.increment("requests", by: 2, window: .seconds(30))
        #expect(first.value == 1)
        #expect(second.value == 3)
        #expect(second.resetsIn > .zero && second.resetsIn <= .seconds(30))
        // A window short enough to pass: the counter then starts again from zero.
        _ = try await subject.store.increment("brief", by: 5, window: .milliseconds(100))
        try await Task.sleep(for: .milliseconds(400))
        let after = try await subject.store.increment("brief", by: 1, window: .milliseconds(100))
        #expect(after.value == 1, "a new window starts from zero")
    }

    @Test(arguments: Backend.allCases)
    func concurrentIncrementsAreExact(backend: Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { subject.stop() }
        let store = subject.store
        let values = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<500 { group.addTask { try await store.increment("budget", by: 2, window: .seconds(60)).value } }
            var values: [Int64] = []
            for try await value in group { values.append(value) }
            return values
        }
        // Every increment saw a distinct total, and the last is the exact sum.
        #expect(Set(values).count == 500)
        #expect(values.max() == 1000)
    }

    @Test(arguments: Backend.allCases)
    func valuesAreStoredReadRemovedAndExpire(backend: Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { subject.stop() }
        let store = subject.store
        let answer = Array("{\"cached\":true}".utf8) + [0, 255]
        try await store.setValue(answer, forKey: "answer", timeToLive: nil)
        #expect(try await store.value(forKey: "answer") == answer, "bytes come back as stored, any bytes")
        try await store.removeValue(forKey: "answer")
        #expect(try await store.value(forKey: "answer") == nil)
        try await store.removeValue(forKey: "never-stored")
        try await store.setValue([1], forKey: "brief", timeToLive: .milliseconds(100))
        #expect(try await store.value(forKey: "brief") == [1])
        try await Task.sleep(for: .milliseconds(250))
        #expect(try await store.value(forKey: "brief") == nil, "expired")
    }

    @Test(arguments: Backend.allCases)
    func aValueLargerThanTheStoreTakesIsRefused(backend: Backend) async throws {
        let subject = try await StoreUnderTest.make(backend)
        defer { subject.stop() }
        await #expect(throws: StateStoreError.self) {
            try await subject.store.setValue([UInt8](repeating: 7, count: 2 << 20), forKey: "huge", timeToLive: nil)
        }
        do {
            try await subject.store.setValue([UInt8](repeating: 7, count: 2 << 20), forKey: "huge", timeToLive: nil)
        } catch {
            #expect(error.code == .tooLarge)
        }
    }

    @Test func theMemoryStoreEvictsTheOldestValuesToStayWithinItsSize() async throws {
        let store = MemoryStateStore(maximumBytes: 1000)
        for index in 0..<10 { try await store.setValue([UInt8](repeating: 1, count: 200), forKey: "k\(index)", timeToLive: nil) }
        #expect(try await store.value(forKey: "k0") == nil, "the oldest went first")
        #expect(try await store.value(forKey: "k9") != nil)
        var kept = 0
        for index in 0..<10 where try await store.value(forKey: "k\(index)") != nil { kept += 1 }
        #expect(kept == 4, "four values of 202 bytes fit in 1,000")
    }

    @Test func twoClientsOfOneServerShareCountersExactly() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        let stores = (0..<2).map { _ in RedisStateStore(client: RedisClient(RedisSettings(host: "127.0.0.1", port: redis.port))) }
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<300 {
                let store = stores[index % 2]
                group.addTask { try await store.increment("limit", by: 1, window: .seconds(60)).value <= 100 }
            }
            var admitted = 0
            for try await ok in group where ok { admitted += 1 }
            return admitted
        }
        #expect(admitted == 100, "a limit of 100 admits exactly 100 across both clients")
        for store in stores { store.client.close() }
    }
}
