import BifrostTestSupport
import Glibc
import NIOCore
import Testing

@testable import BifrostState

@Suite("the Redis client against a real server", .serialized)
struct RedisClientTests {
    @Test func manyConcurrentCommandsArePipelinedAndEachGetsItsOwnReply() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        var settings = RedisSettings(host: "127.0.0.1", port: redis.port)
        settings.poolSize = 2
        // Generous: 2,000 tasks at once on a machine that may be busy; the timeout is tested below.
        settings.commandTimeout = .seconds(10)
        let client = RedisClient(settings)
        defer { client.close() }
        let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<2000 {
                group.addTask {
                    _ = try await client.send(RESPCommand("SET", "key\(index)", "value\(index)"))
                    return try await client.send(RESPCommand("GET", "key\(index)")) != .bulkString(Array("value\(index)".utf8))
                }
            }
            var mismatches = 0
            for try await mismatch in group where mismatch { mismatches += 1 }
            return mismatches
        }
        #expect(mismatches == 0)
        #expect(client.currentHealth.connectionsOpened == 2, "two connections carried all 4,000 commands")
    }

    @Test func anErrorReplyIsReturnedNotThrown() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        let client = RedisClient(RedisSettings(host: "127.0.0.1", port: redis.port))
        defer { client.close() }
        _ = try await client.send(RESPCommand("SET", "text", "abc"))
        guard case .error(let message) = try await client.send(RESPCommand("INCR", "text")) else {
            Issue.record("INCR of a string is an error reply")
            return
        }
        #expect(message.hasPrefix("ERR"))
    }

    @Test func aPasswordIsSentAndAWrongOneRefusedWithoutBeingNamed() async throws {
        let redis = try await RedisServer.start(password: "s3cret-pass")
        defer { redis.stop() }
        var settings = RedisSettings(host: "127.0.0.1", port: redis.port)
        settings.password = "s3cret-pass"
        let client = RedisClient(settings)
        defer { client.close() }
        #expect(try await client.send(RESPCommand("PING")) == .simpleString("PONG"))
        settings.password = "wrong-pass"
        let wrong = RedisClient(settings)
        defer { wrong.close() }
        do {
            _ = try await wrong.send(RESPCommand("PING"))
            Issue.record("a wrong password was accepted")
        } catch {
            #expect(error.code == .refused)
            #expect(!error.message.contains("wrong-pass"))
        }
    }

    @Test func aServerThatDiesFailsCommandsAtOnceAndIsUsedAgainWhenItIsBack() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        var settings = RedisSettings(host: "127.0.0.1", port: redis.port)
        settings.poolSize = 1
        settings.commandTimeout = .milliseconds(300)
        settings.reconnectBackoff = .milliseconds(50)
        settings.maximumReconnectBackoff = .milliseconds(200)
        let client = RedisClient(settings)
        defer { client.close() }
        #expect(try await client.send(RESPCommand("PING")) == .simpleString("PONG"))
        redis.kill()
        let started = ContinuousClock.now
        for _ in 0..<5 {
            do {
                _ = try await client.send(RESPCommand("PING"))
                Issue.record("a dead server answered")
            } catch {
                #expect(error.code == .unavailable || error.code == .timeout)
            }
        }
        #expect(ContinuousClock.now - started < .seconds(3), "no command waits past its deadline")
        #expect(!client.currentHealth.reachable)
        try await redis.restart()
        // The client opens its connection again by itself, after its backoff.
        var answered = false
        let restarted = ContinuousClock.now
        while !answered && ContinuousClock.now - restarted < .seconds(5) {
            answered = (try? await client.send(RESPCommand("PING"))) == .simpleString("PONG")
            if !answered { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(answered, "the client recovered without being made again")
        #expect(client.currentHealth.reachable)
    }

    @Test func aServerThatDoesNotAnswerTimesOutTheCommand() async throws {
        // A listening socket nothing reads: the connection opens (the kernel completes it) and
        // no reply ever comes.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 8) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        try #require(bound)
        var settings = RedisSettings(host: "127.0.0.1", port: Int(UInt16(bigEndian: address.sin_port)))
        settings.commandTimeout = .milliseconds(200)
        let client = RedisClient(settings)
        defer { client.close() }
        let started = ContinuousClock.now
        do {
            _ = try await client.send(RESPCommand("PING"))
            Issue.record("a silent server answered")
        } catch {
            #expect(error.code == .timeout)
        }
        #expect(ContinuousClock.now - started < .seconds(2))
    }
}

@Suite("RESP replies a server might send")
struct RESPReplyTests {
    @Test(arguments: [
        ("+OK\r\n", RESPValue.simpleString("OK")),
        ("-ERR wrong\r\n", .error("ERR wrong")),
        (":-42\r\n", .integer(-42)),
        ("$5\r\nhello\r\n", .bulkString(Array("hello".utf8))),
        ("$-1\r\n", .bulkString(nil)),
        ("*2\r\n:1\r\n$1\r\nx\r\n", .array([.integer(1), .bulkString([UInt8(ascii: "x")])])),
        ("*-1\r\n", .array(nil)),
    ])
    func aWellFormedReplyIsRead(text: String, expected: RESPValue) throws {
        var buffer = ByteBuffer(string: text)
        #expect(try RESPDecoder.parse(&buffer, depth: 0) == expected)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: ["+OK", "$5\r\nhel", "*2\r\n:1\r\n"])
    func aReplyCutShortWaitsForMore(text: String) throws {
        var buffer = ByteBuffer(string: text)
        #expect(try RESPDecoder.parse(&buffer, depth: 0) == nil)
    }

    @Test(arguments: ["?what\r\n", ":12x\r\n", "$999999999999\r\n", "*99999999\r\n", "$3\r\nabcXY"])
    func aMalformedOrHugeReplyIsAProtocolError(text: String) {
        var buffer = ByteBuffer(string: text)
        #expect(throws: (any Error).self) { try RESPDecoder.parse(&buffer, depth: 0) }
    }
}
